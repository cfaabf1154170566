using Qaas.Onnx.Io;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Recipes;
using Qaas.Quantization.Static;
using Qaas.Quantization.Transforms.Graph;

namespace Qaas.Bench.Models;

/// <summary>
/// The model and activation tensors the int8-static job calibrates: StaticQdqQuantizer's steps before calibration
/// (BatchNorm and affine folding, constants promoted, Q/DQ placement around Conv/MatMul/Gemm), without the rewrite.
/// </summary>
public sealed record CalibrationTarget(OnnxModel Model, IReadOnlySet<string> Tensors)
{
    public static CalibrationTarget Int8Static(string modelPath)
    {
        var recipe = RecipeResolver.Resolve(new Recipe { Preset = "int8-static" });
        var proto = OnnxModel.Load(modelPath).Proto.Clone();
        ConvBatchNormFolder.Apply(proto);
        ConvAffineFolder.Apply(proto);
        new GraphEditor(proto).PromoteConstantsToInitializers();
        var plans = QdqPlacement.Plan(proto.Graph, NodeSelector.Select(proto.Graph, recipe.Nodes));
        return new CalibrationTarget(OnnxModel.FromProto(proto, validate: false), QdqPlacement.ActivationTensors(plans));
    }
}
