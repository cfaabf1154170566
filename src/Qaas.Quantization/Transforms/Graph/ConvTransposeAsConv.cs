using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// A 2-D ConvTranspose whose kernel equals its stride (k x k, stride k, no padding, group 1) maps every input pixel to
/// its own k x k output patch, so it is exactly a 1x1 Conv with k²·C_out channels followed by DepthToSpace(k, CRD):
/// W'[co·k² + a·k + b, ci] = W[ci, co, a, b]. ONNX Runtime has no integer ConvTranspose on CPU but fuses a QDQ Conv, and
/// moves DepthToSpace's uint8 data as is, so upsampling heads (DBNet's 2x2 stride-2 pair) become integer kernels.
/// The Conv keeps the ConvTranspose's name, so reports and include/exclude lists still find it.
/// </summary>
public static class ConvTransposeAsConv
{
    /// <param name="source">The model external initializer data is read from.</param>
    /// <returns>The Conv and DepthToSpace nodes written, two per rewritten ConvTranspose.</returns>
    public static IReadOnlyList<NodeProto> Apply(GraphEditor editor, IEnumerable<NodeProto> nodes, Onnx.Io.OnnxModel? source = null)
    {
        var written = new List<NodeProto>();
        // DepthToSpace's CRD mode arrived in opset 11.
        if (Opsets.Of(editor.Model).GetValueOrDefault("") < 11)
            return written;
        foreach (var node in nodes.Where(n => n.OpType == "ConvTranspose" && n.Domain.Length == 0).ToList())
        {
            if (Block(node, editor) is not { } k)
                continue;
            var weight = editor.FindInitializer(node.Input[1])!;
            int inChannels = (int)weight.Dims[0], outChannels = (int)weight.Dims[1];
            var w = TensorData.Read<float>(weight, source);
            var bias = node.Input.Count > 2 && node.Input[2].Length > 0
                ? TensorData.Read<float>(editor.FindInitializer(node.Input[2])!, source)
                : new float[outChannels];
            int patch = k * k, channels = outChannels * patch;
            var pointwise = new float[channels * inChannels];
            var convBias = new float[channels];
            for (int ci = 0; ci < inChannels; ci++)
                for (int co = 0; co < outChannels; co++)
                    for (int p = 0; p < patch; p++)
                        pointwise[(co * patch + p) * inChannels + ci] = w[(ci * outChannels + co) * patch + p];
            for (int c = 0; c < channels; c++)
                convBias[c] = bias[c / patch];

            var weightName = editor.AddInitializer(TensorData.Create<float>(node.Input[1] + "_as_conv", pointwise, [channels, inChannels, 1, 1]));
            var biasName = editor.AddInitializer(TensorData.Create<float>(node.Input[1] + "_as_conv_bias", convBias, [channels]));
            var patches = editor.Names.Fresh(node.Output[0] + "_patches");
            var name = node.Name;
            editor.RemoveNode(node);
            var conv1x1 = editor.AddNode("Conv", [node.Input[0], weightName, biasName], [patches], attributes: [Attributes.Ints("kernel_shape", 1, 1)]);
            if (name.Length > 0)
                conv1x1.Name = name; // its owner is gone: the name is free again
            written.Add(conv1x1);
            written.Add(editor.AddNode("DepthToSpace", [patches], [node.Output[0]], (name.Length > 0 ? name : "ConvTranspose") + "_depth_to_space",
                attributes: [Attributes.Int("blocksize", k), Attributes.String("mode", "CRD")]));
        }
        if (written.Count > 0)
            editor.SortTopologically();
        return written;
    }

    /// <summary>The block size k when the node is a k x k, stride-k, unpadded, ungrouped 2-D ConvTranspose with float
    /// initializer weights (and bias); else null.</summary>
    private static int? Block(NodeProto node, GraphEditor editor)
    {
        if (node.Input.Count < 2 || node.Output.Count != 1)
            return null;
        var weight = editor.FindInitializer(node.Input[1]);
        if (weight is null || weight.DataType != (int)DT.Float || weight.Dims.Count != 4 || weight.Dims[2] != weight.Dims[3] || weight.Dims[2] < 2)
            return null;
        if (node.Input.Count > 2 && node.Input[2].Length > 0
            && editor.FindInitializer(node.Input[2]) is not { DataType: (int)DT.Float })
            return null;
        long k = weight.Dims[2];
        foreach (var a in node.Attribute)
        {
            bool fits = a.Name switch
            {
                "kernel_shape" or "strides" => a.Ints.Count == 2 && a.Ints.All(v => v == k),
                "pads" or "output_padding" => a.Ints.All(v => v == 0),
                "dilations" => a.Ints.All(v => v == 1),
                "group" => a.I == 1,
                "auto_pad" => a.S.ToStringUtf8() is "NOTSET" or "VALID",
                _ => false, // output_shape and anything unknown: leave the node alone
            };
            if (!fits)
                return null;
        }
        // Without a strides attribute the stride is 1, which is not this pattern.
        return Attributes.Find(node, "strides") is null ? null : (int)k;
    }
}
