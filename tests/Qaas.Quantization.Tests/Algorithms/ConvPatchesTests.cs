using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Algorithms;
using Qaas.Quantization.Tests.Static;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.Algorithms;

/// <summary>
/// The patch moments checked against ONNX Runtime's own Conv: with every output position taken, each output channel's
/// sum of squares over positions must equal w H w^T for that channel's weight row w. A patch ordered differently
/// from the weight rows (channel, kernel row, kernel column), a wrong pad, stride or dilation breaks the equality.
/// </summary>
public class ConvPatchesTests
{
    private const int Channels = 4, Outputs = 6, Groups = 2, KernelH = 3, KernelW = 2;

    private static ModelProto Conv(float[] w, params AttributeProto[] attributes)
    {
        var graph = new GraphProto { Name = "conv" };
        graph.Input.Add(ModelBuilder.Tensor("x", (int)TensorProto.Types.DataType.Float, 1, Channels, 9, 11));
        graph.Output.Add(ModelBuilder.Tensor("y", (int)TensorProto.Types.DataType.Float));
        graph.Initializer.Add(TensorData.Create<float>("w", w, [Outputs, Channels / Groups, KernelH, KernelW]));
        var conv = ModelBuilder.Node("Conv", "conv", ["x", "w"], ["y"]);
        conv.Attribute.Add(Attributes.Int("group", Groups));
        conv.Attribute.AddRange(attributes);
        graph.Node.Add(conv);
        var model = new ModelProto { IrVersion = 8, Graph = graph };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    public static TheoryData<string> Geometries => ["pads", "strided", "dilated", "same_upper", "same_lower", "valid"];

    [Theory]
    [MemberData(nameof(Geometries))]
    public void Moments_reproduce_each_output_channels_energy_in_OnnxRuntime(string geometry)
    {
        AttributeProto[] attributes = geometry switch
        {
            "pads" => [Attributes.Ints("pads", 1, 0, 2, 1)],
            "strided" => [Attributes.Ints("pads", 1, 1, 1, 0), Attributes.Ints("strides", 2, 3)],
            "dilated" => [Attributes.Ints("pads", 2, 1, 0, 1), Attributes.Ints("dilations", 2, 2)],
            "same_upper" => [Attributes.String("auto_pad", "SAME_UPPER"), Attributes.Ints("strides", 2, 2)],
            "same_lower" => [Attributes.String("auto_pad", "SAME_LOWER"), Attributes.Ints("strides", 2, 2)],
            _ => [Attributes.String("auto_pad", "VALID")],
        };
        var w = TestData.Uniform(Outputs * Channels / Groups * KernelH * KernelW, -1, 1, seed: 11);
        var model = Conv(w, attributes);
        var x = TestData.Uniform(Channels * 9 * 11, -1, 2, seed: 12);
        using var session = new SessionRunner(model);
        var y = session.Run(new Dictionary<string, Tensor> { ["x"] = Tensor.Create(x, 1, Channels, 9, 11) });

        var patches = ConvPatches.Of(model.Graph.Node[0], [Outputs, Channels / Groups, KernelH, KernelW])!;
        int d = patches.PatchLength;
        var sums = Enumerable.Range(0, Groups).Select(_ => new double[d * d]).ToArray();
        int taken = patches.Accumulate(x, [1, Channels, 9, 11], sums, maxPositions: 1 << 20, offset: 0);
        Assert.Equal(y.Length / Outputs, taken);
        foreach (var h in sums) InputHessians.MirrorLower(h, d);

        int positions = y.Length / Outputs;
        for (int m = 0; m < Outputs; m++)
        {
            double energy = 0;
            for (int p = 0; p < positions; p++) energy += (double)y[m * positions + p] * y[m * positions + p];
            var h = sums[m / (Outputs / Groups)];
            double quadratic = 0;
            for (int a = 0; a < d; a++)
                for (int b = 0; b < d; b++)
                    quadratic += w[m * d + a] * h[a * d + b] * w[m * d + b];
            Assert.Equal(energy, quadratic, energy * 1e-4);
        }
    }

    [Fact]
    public void A_position_budget_takes_a_strided_subset_and_the_offset_moves_it()
    {
        var model = Conv(new float[Outputs * 2 * KernelH * KernelW], Attributes.Ints("pads", 1, 0, 1, 1));
        var patches = ConvPatches.Of(model.Graph.Node[0], [Outputs, 2, KernelH, KernelW])!;
        var x = TestData.Uniform(Channels * 9 * 11, -1, 1, seed: 3);
        double[][] Sums() => Enumerable.Range(0, Groups).Select(_ => new double[patches.PatchLength * patches.PatchLength]).ToArray();
        var first = Sums();
        var second = Sums();
        Assert.Equal(10, patches.Accumulate(x, [1, Channels, 9, 11], first, maxPositions: 10, offset: 0));
        patches.Accumulate(x, [1, Channels, 9, 11], second, maxPositions: 10, offset: 1);
        Assert.NotEqual(first[0], second[0]);
    }

    [Fact]
    public void Convs_that_are_not_2D_are_declined()
    {
        var conv = ModelBuilder.Node("Conv", "c", ["x", "w"], ["y"]);
        Assert.Null(ConvPatches.Of(conv, [4, 2, 3]));
    }
}
