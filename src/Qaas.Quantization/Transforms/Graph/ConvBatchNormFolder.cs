using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// Graph pass for the "fold-batchnorm" transform: every inference BatchNormalization whose input is the only use of a
/// Conv output is folded into that Conv's weights and bias (<see cref="BatchNormFolding.Fold"/>) and removed.
/// Constant-node weights are promoted to initializers first, so exports that keep weights in Constants fold too.
/// </summary>
public static class ConvBatchNormFolder
{
    /// <returns>How many BatchNormalization nodes were folded.</returns>
    public static int Apply(ModelProto model)
    {
        var editor = new GraphEditor(model);
        editor.PromoteConstantsToInitializers();
        var initializers = model.Graph.Initializer.ToDictionary(t => t.Name, StringComparer.Ordinal);
        var view = new GraphView(model.Graph);
        int folded = 0;
        foreach (var bn in model.Graph.Node.Where(IsInferenceBatchNorm).ToList())
        {
            var conv = view.ProducerOf(bn.Input[0]);
            if (conv is null || conv.OpType != "Conv" || conv.Domain.Length > 0 || conv.Output[0] != bn.Input[0]
                || view.ConsumersOf(bn.Input[0]).Count != 1 || view.IsGraphOutput(bn.Input[0]))
                continue;
            if (!TryFloat(initializers, conv.Input[1], out var w, out var weightTensor))
                continue;
            float[] bias = [];
            if (conv.Input.Count > 2 && conv.Input[2].Length > 0 && !TryFloat(initializers, conv.Input[2], out bias, out _))
                continue;
            if (!TryFloat(initializers, bn.Input[1], out var gamma, out _) || !TryFloat(initializers, bn.Input[2], out var beta, out _)
                || !TryFloat(initializers, bn.Input[3], out var mean, out _) || !TryFloat(initializers, bn.Input[4], out var variance, out _))
                continue;
            if (weightTensor.Dims.Count == 0 || weightTensor.Dims[0] != gamma.Length)
                continue;
            float epsilon = Attributes.Find(bn, "epsilon")?.F ?? 1e-5f;
            var foldedBias = BatchNormFolding.Fold(w, bias, gamma, beta, mean, variance, epsilon);

            // New initializers: the old ones may be shared with nodes that must keep the unfolded values.
            var newWeight = editor.AddInitializer(TensorData.Create<float>(conv.Input[1] + "_bnfolded", w, weightTensor.Dims.ToArray()));
            var newBias = editor.AddInitializer(TensorData.Create<float>(conv.Input[1] + "_bnbias", foldedBias, [foldedBias.Length]));
            conv.Input[1] = newWeight;
            if (conv.Input.Count > 2) conv.Input[2] = newBias;
            else conv.Input.Add(newBias);
            conv.Output[0] = bn.Output[0];
            editor.RemoveNode(bn);
            folded++;
        }
        if (folded > 0)
        {
            editor.RemoveUnusedInitializers();
            editor.DropStaleValueInfo();
        }
        return folded;
    }

    private static bool IsInferenceBatchNorm(NodeProto n) =>
        n.OpType == "BatchNormalization" && n.Domain.Length == 0 && n.Input.Count == 5
        && n.Output.Count(o => o.Length > 0) == 1 && (Attributes.Find(n, "training_mode")?.I ?? 0) == 0;

    private static bool TryFloat(Dictionary<string, TensorProto> initializers, string name, out float[] values, out TensorProto tensor)
    {
        values = [];
        if (!initializers.TryGetValue(name, out tensor!) || tensor.DataType != (int)DT.Float)
            return false;
        values = TensorData.Read<float>(tensor);
        return true;
    }
}
