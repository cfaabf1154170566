using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Transforms.Graph;

/// <summary>
/// Moves a CRD DepthToSpace below the channel-wise ops that alone read its output (activations, a constant scalar or
/// per-channel Add/Mul, an inference BatchNormalization), and below a 1x1 Conv on the way to a second DepthToSpace,
/// which it then merges with. In CRD order output channel c gathers input channels c·k² .. c·k² + k² - 1, so a
/// per-channel constant is repeated k² times and a 1x1 Conv becomes block-diagonal over the k² positions. The moved
/// ops then follow the Conv before the DepthToSpace, where the BatchNorm and affine folders and ONNX Runtime's
/// Conv + activation fusions see them, and two stacked upsamplings shuffle bytes once instead of twice.
/// </summary>
public static class DepthToSpaceSinking
{
    // Elementwise ops whose other inputs (Clip's bounds) are scalars, so they commute with any channel shuffle.
    private static readonly HashSet<string> Activations = new(StringComparer.Ordinal)
    {
        "Relu", "Sigmoid", "Tanh", "LeakyRelu", "HardSigmoid", "HardSwish", "Elu", "Selu", "Softplus", "Clip",
    };

    /// <returns>How many ops were moved above a DepthToSpace (merges included).</returns>
    public static int Apply(GraphEditor editor, IEnumerable<NodeProto> nodes, Onnx.Io.OnnxModel? source = null)
    {
        int moved = 0;
        foreach (var depthToSpace in nodes.Where(IsCrd).ToList())
        {
            while (editor.Graph.Node.Contains(depthToSpace))
            {
                var view = new GraphView(editor.Graph);
                var output = depthToSpace.Output[0];
                int block = (int)Attributes.Find(depthToSpace, "blocksize")!.I;
                // Only patches a Conv of ours makes (through channel-wise ops nobody else reads): their channel count is
                // known, and a merge may reorder them.
                if (Reader(view, output) is not { } next || PatchSource(editor, view, depthToSpace.Input[0]) is not { } patchConv
                    || editor.FindInitializer(patchConv.Input[1])!.Dims[0] % (block * block) != 0)
                    break;
                int channels = (int)(editor.FindInitializer(patchConv.Input[1])!.Dims[0] / (block * block));
                if (IsCrd(next))
                {
                    Merge(editor, view, depthToSpace, next, source);
                    moved++;
                    continue;
                }
                if (!Commute(editor, view, next, output, channels, block * block, source))
                    break;
                // next now reads the patches and DepthToSpace rearranges next's result under next's output name.
                var patches = editor.Names.Fresh(next.Output[0] + "_patches");
                next.Input[next.Input.IndexOf(output)] = depthToSpace.Input[0];
                depthToSpace.Input[0] = patches;
                depthToSpace.Output[0] = next.Output[0];
                next.Output[0] = patches;
                moved++;
            }
        }
        if (moved > 0)
        {
            editor.SortTopologically();
            editor.RemoveUnusedInitializers();
            editor.DropStaleValueInfo();
        }
        return moved;
    }

    private static bool IsCrd(NodeProto n) =>
        n.OpType == "DepthToSpace" && n.Domain.Length == 0 && (Attributes.Find(n, "blocksize")?.I ?? 0) >= 2
        && Attributes.Find(n, "mode")?.S.ToStringUtf8() == "CRD";

    /// <summary>The one node reading <paramref name="tensor"/> (once, single output, ONNX domain), or null.</summary>
    private static NodeProto? Reader(GraphView view, string tensor) =>
        view.SoleReaderOf(tensor) is { Domain.Length: 0, Output.Count: 1 } next ? next : null;

    /// <summary>True when <paramref name="node"/> commutes with a DepthToSpace of block² = <paramref name="repeat"/>
    /// writing <paramref name="data"/> (<paramref name="channels"/> channels); its constants are then replaced by ones over
    /// the DepthToSpace's input channels.</summary>
    private static bool Commute(GraphEditor editor, GraphView view, NodeProto node, string data, int channels, int repeat, Onnx.Io.OnnxModel? source)
    {
        if (Activations.Contains(node.OpType) || node.OpType is "Add" or "Mul" or "BatchNormalization")
            return ChannelWise(editor, node, data, channels) && Remap(editor, node, c => c / repeat, repeat, source);
        if (node.OpType == "Conv" && IsPointwise(editor, node, data) && LeadsToDepthToSpace(editor, view, node))
        {
            // W'[o·r + p, c·r + p] = W[o, c]: each of the r positions keeps its own copy of the 1x1 Conv.
            var weight = editor.FindInitializer(node.Input[1])!;
            int outChannels = (int)weight.Dims[0], inChannels = (int)weight.Dims[1];
            var w = TensorData.Read<float>(weight, source);
            var blocks = new float[outChannels * repeat * inChannels * repeat];
            for (int o = 0; o < outChannels; o++)
                for (int c = 0; c < inChannels; c++)
                    for (int p = 0; p < repeat; p++)
                        blocks[(o * repeat + p) * inChannels * repeat + c * repeat + p] = w[o * inChannels + c];
            node.Input[1] = editor.AddInitializer(TensorData.Create<float>(weight.Name + "_per_position", blocks,
                [outChannels * repeat, inChannels * repeat, 1, 1]));
            if (node.Input.Count > 2 && node.Input[2].Length > 0)
                node.Input[2] = editor.AddInitializer(Remapped(editor.FindInitializer(node.Input[2])!, 0, c => c / repeat, outChannels * repeat, source)!);
            return true;
        }
        return false;
    }

    /// <summary>An op acting on each channel of <paramref name="data"/> ([N, <paramref name="channels"/>, H, W]) alone,
    /// keeping its shape: an activation with scalar extra inputs, Add/Mul with a float initializer of rank 4 or less that
    /// is a scalar or holds one value per channel, or an inference BatchNormalization with float parameters.</summary>
    private static bool ChannelWise(GraphEditor editor, NodeProto node, string data, long channels)
    {
        if (Activations.Contains(node.OpType))
            return node.Input[0] == data && node.Input.Skip(1).All(i => i.Length == 0 || IsScalar(editor.FindInitializer(i)));
        if (node.OpType is "Add" or "Mul")
            return node.Input.Count == 2 && node.Input.Count(i => i == data) == 1
                && editor.FindInitializer(node.Input[node.Input[0] == data ? 1 : 0]) is { DataType: (int)DT.Float, Dims.Count: <= 4 } c
                && (IsScalar(c) || ChannelPosition(c) is { } position && c.Dims[position] == channels);
        return node.OpType == "BatchNormalization" && node.Input.Count == 5 && node.Input[0] == data
            && (Attributes.Find(node, "training_mode")?.I ?? 0) == 0
            && node.Input.Skip(1).All(i => editor.FindInitializer(i) is { DataType: (int)DT.Float, Dims.Count: 1 } p && p.Dims[0] == channels);
    }

    /// <summary>The group-1 Conv with float initializer weights whose output reaches <paramref name="tensor"/> through
    /// channel-wise ops alone, each output read only by the next op; null when there is none.</summary>
    private static NodeProto? PatchSource(GraphEditor editor, GraphView view, string tensor)
    {
        var chain = new List<(NodeProto Node, string Data)>();
        while (Reader(view, tensor) is not null && view.ProducerOf(tensor) is { Domain.Length: 0, Output.Count: 1 } producer)
        {
            if (producer.OpType == "Conv")
            {
                if ((Attributes.Find(producer, "group")?.I ?? 1) != 1
                    || editor.FindInitializer(producer.Input[1]) is not { DataType: (int)DT.Float, Dims.Count: 4 } weight)
                    return null;
                return chain.All(link => ChannelWise(editor, link.Node, link.Data, weight.Dims[0])) ? producer : null;
            }
            var data = producer.Input.FirstOrDefault(i => i.Length > 0 && editor.FindInitializer(i) is null);
            if (data is null)
                return null;
            chain.Add((producer, data));
            tensor = data;
        }
        return null;
    }

    /// <summary>Rewrites a channel-wise node's per-channel constants so that new channel c takes old channel
    /// <paramref name="sourceChannel"/>(c), over <paramref name="factor"/> times the old channel count.</summary>
    private static bool Remap(GraphEditor editor, NodeProto node, Func<int, int> sourceChannel, int factor, Onnx.Io.OnnxModel? source)
    {
        var indexes = node.OpType switch
        {
            "Add" or "Mul" => Enumerable.Range(0, 2).Where(i => editor.FindInitializer(node.Input[i]) is { } c && !IsScalar(c)),
            "BatchNormalization" => Enumerable.Range(1, 4),
            _ => [],
        };
        foreach (int i in indexes.ToList())
        {
            var constant = editor.FindInitializer(node.Input[i])!;
            int position = node.OpType == "BatchNormalization" ? 0 : ChannelPosition(constant)!.Value;
            var remapped = Remapped(constant, position, sourceChannel, (int)constant.Dims[position] * factor, source);
            if (remapped is null)
                return false;
            node.Input[i] = editor.AddInitializer(remapped);
        }
        return true;
    }

    /// <summary>The channel axis of a constant broadcast against [N, C, H, W] (right-aligned) with only that axis above
    /// 1; null for any other shape.</summary>
    private static int? ChannelPosition(TensorProto constant)
    {
        int position = constant.Dims.Count - 3;
        return position >= 0 && constant.Dims.Count <= 4 && constant.Dims.Where((d, i) => i != position && d != 1).Any() is false
            ? position : null;
    }

    private static bool IsScalar(TensorProto? t) => t is not null && TensorLayout.ElementCount(t) == 1;

    /// <summary>The constant with <paramref name="count"/> channels along <paramref name="position"/>, new channel c
    /// taking old channel <paramref name="sourceChannel"/>(c).</summary>
    private static TensorProto? Remapped(TensorProto constant, int position, Func<int, int> sourceChannel, int count, Onnx.Io.OnnxModel? source)
    {
        var values = TensorData.Read<float>(constant, source);
        if (values.Length != constant.Dims[position])
            return null;
        var remapped = new float[count];
        for (int c = 0; c < count; c++)
            remapped[c] = values[sourceChannel(c)];
        var dims = constant.Dims.ToArray();
        dims[position] = count;
        return TensorData.Create<float>(constant.Name + "_remapped", remapped, dims);
    }

    /// <summary>A 1x1, stride-1, unpadded, ungrouped Conv over <paramref name="data"/> with float initializer weights.</summary>
    private static bool IsPointwise(GraphEditor editor, NodeProto conv, string data)
    {
        if (conv.Input[0] != data || conv.Input.Count < 2 || editor.FindInitializer(conv.Input[1]) is not { DataType: (int)DT.Float, Dims.Count: 4 } w
            || w.Dims[2] != 1 || w.Dims[3] != 1)
            return false;
        if (conv.Input.Count > 2 && conv.Input[2].Length > 0 && editor.FindInitializer(conv.Input[2]) is not { DataType: (int)DT.Float })
            return false;
        return conv.Attribute.All(a => a.Name switch
        {
            "kernel_shape" or "strides" or "dilations" => a.Ints.All(v => v == 1),
            "pads" => a.Ints.All(v => v == 0),
            "group" => a.I == 1,
            "auto_pad" => a.S.ToStringUtf8() is "NOTSET" or "VALID",
            _ => false,
        });
    }

    /// <summary>Whether the Conv's output reaches a CRD DepthToSpace through channel-wise ops alone: only then is
    /// growing the Conv by the block² positions paid back by merging the two shuffles.</summary>
    private static bool LeadsToDepthToSpace(GraphEditor editor, GraphView view, NodeProto conv)
    {
        var tensor = conv.Output[0];
        long channels = editor.FindInitializer(conv.Input[1])!.Dims[0];
        while (Reader(view, tensor) is { } next)
        {
            if (IsCrd(next))
                return true;
            if (!ChannelWise(editor, next, tensor, channels))
                return false;
            tensor = next.Output[0];
        }
        return false;
    }

    /// <summary>DepthToSpace(k2) of DepthToSpace(k1) is one DepthToSpace(k1·k2) of a channel permutation, which the
    /// producing Conv and the channel-wise ops between take over (their output channels reordered).</summary>
    private static void Merge(GraphEditor editor, GraphView view, NodeProto upper, NodeProto lower, Onnx.Io.OnnxModel? source)
    {
        int k1 = (int)Attributes.Find(upper, "blocksize")!.I, k2 = (int)Attributes.Find(lower, "blocksize")!.I, k = k1 * k2;
        // Channel c·K² + A·K + B of the merged input (A = k2·a1 + a2, B = k2·b1 + b2) is channel
        // (c·k2² + a2·k2 + b2)·k1² + a1·k1 + b1 of the stacked one.
        int SourceChannel(int channel)
        {
            int c = channel / (k * k), a = channel / k % k, b = channel % k;
            int a1 = a / k2, a2 = a % k2, b1 = b / k2, b2 = b % k2;
            return ((c * k2 * k2 + a2 * k2 + b2) * k1 * k1) + a1 * k1 + b1;
        }
        // Walk up to the Conv: every op on the way reorders its constants the same way.
        var tensor = upper.Input[0];
        while (true)
        {
            var producer = view.ProducerOf(tensor)!;
            if (producer.OpType == "Conv")
            {
                var weight = editor.FindInitializer(producer.Input[1])!;
                int rows = (int)weight.Dims[0], rowLength = (int)(TensorLayout.ElementCount(weight)!.Value / rows);
                var w = TensorData.Read<float>(weight, source);
                var permuted = new float[w.Length];
                for (int row = 0; row < rows; row++)
                    Array.Copy(w, SourceChannel(row) * rowLength, permuted, row * rowLength, rowLength);
                producer.Input[1] = editor.AddInitializer(TensorData.Create<float>(weight.Name + "_permuted", permuted, weight.Dims.ToArray()));
                if (producer.Input.Count > 2 && producer.Input[2].Length > 0)
                    producer.Input[2] = editor.AddInitializer(Remapped(editor.FindInitializer(producer.Input[2])!, 0, SourceChannel, rows, source)!);
                break;
            }
            Remap(editor, producer, SourceChannel, 1, source);
            tensor = producer.Input.First(i => i.Length > 0 && editor.FindInitializer(i) is null);
        }
        upper.Attribute.Remove(Attributes.Find(upper, "blocksize")!);
        upper.Attribute.Add(Attributes.Int("blocksize", k));
        upper.Output[0] = lower.Output[0];
        editor.RemoveNode(lower);
    }
}
