using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Formats;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Float16;

/// <summary>
/// Rewrites a model's main graph to float16: every float32 node on the allow-list (<see cref="OpTyping"/>) runs in
/// float16, its float constants stored as float16; everything else stays float32. Casts are inserted wherever the two
/// meet, and at the graph's float inputs and outputs, whose names and float32 types (and symbolic shapes) do not change.
/// </summary>
internal sealed class Float16Rewriter
{
    private readonly GraphEditor _editor;
    private readonly GraphProto _graph;
    private readonly Func<NodeProto, bool> _keepFloat32;
    private readonly Dictionary<string, string> _half = new(StringComparer.Ordinal);   // float32 name -> its float16 twin
    private readonly HashSet<string> _halfOnly = new(StringComparer.Ordinal);           // float32 names whose producer now writes float16
    private readonly Dictionary<string, TensorProto> _constants = new(StringComparer.Ordinal);
    private readonly HashSet<string> _graphInputs;
    private readonly Dictionary<string, bool> _fits = new(StringComparer.Ordinal);
    private const float MaxFloat16 = 65504f;
    private readonly OnnxModel? _source;
    private ElementTypeMap _types = null!;

    /// <param name="source">The model the constants came from (needed to read external data).</param>
    public Float16Rewriter(ModelProto model, OnnxModel? source, Func<NodeProto, bool> keepFloat32)
    {
        _source = source;
        _editor = new GraphEditor(model);
        _graph = model.Graph;
        _keepFloat32 = keepFloat32;
        _graphInputs = new HashSet<string>(_graph.Input.Select(i => i.Name), StringComparer.Ordinal);
    }

    /// <summary>The nodes that now compute in float16.</summary>
    public List<NodeProto> Converted { get; } = [];
    public int KeptNodes { get; private set; }

    public void Run(CancellationToken ct)
    {
        var order = new GraphView(_graph).TopologicalOrder();
        _types = new ElementTypeMap(_graph, order);
        foreach (var t in _graph.Initializer)
            if (!_graphInputs.Contains(t.Name)) _constants[t.Name] = t;
        foreach (var n in _graph.Node)
            if (ConstantNode.Is(n) && n.Output.Count == 1 && ConstantNode.ValueOf(n) is { } v) _constants[n.Output[0]] = v;

        var view = new GraphView(_graph);
        foreach (var node in order)
        {
            ct.ThrowIfCancellationRequested();
            if (ConstantNode.Is(node)) continue;
            var typing = OpTyping.Of(node);
            bool convert = typing is { Float16Safe: true } && !Subgraphs.Of(node).Any() && !_keepFloat32(node)
                && AllTInputsAreFloat(node, typing);
            if (convert) Convert(node, typing!);
            else Keep(node, view);
        }
        foreach (var output in _graph.Output)
            if (_halfOnly.Contains(output.Name)) Float32Of(output.Name);

        _editor.SortTopologically();
        _editor.RemoveDeadNodes();
        _editor.RemoveUnusedInitializers();
        _editor.DropStaleValueInfo();
    }

    // Every T input must be known float32: converting one and not another would mix types.
    private bool AllTInputsAreFloat(NodeProto node, OpTyping typing)
    {
        bool any = false;
        for (int i = 0; i < node.Input.Count; i++)
        {
            if (node.Input[i].Length == 0 || !typing.IsTInput(i)) continue;
            if (_types.Of(node.Input[i]) != (int)DT.Float || !FitsFloat16(node.Input[i])) return false;
            any = true;
        }
        return any;
    }

    // A constant beyond float16's range (e.g. the running variance of a BatchNormalization after a large Conv) would
    // become infinity: its reader stays float32.
    private bool FitsFloat16(string name)
    {
        if (!_constants.TryGetValue(name, out var constant)) return true;
        if (!_fits.TryGetValue(name, out var fits))
        {
            var values = TensorData.ReadAsFloat(constant, _source);
            fits = values.Length == 0 || System.Numerics.Tensors.TensorPrimitives.MaxMagnitude(values) is var m && float.IsFinite(m) && Math.Abs(m) <= MaxFloat16;
            _fits[name] = fits;
        }
        return fits;
    }

    private void Convert(NodeProto node, OpTyping typing)
    {
        Converted.Add(node);
        for (int i = 0; i < node.Input.Count; i++)
        {
            var name = node.Input[i];
            if (name.Length == 0) continue;
            if (typing.IsTInput(i) && _types.Of(name) == (int)DT.Float) node.Input[i] = Float16Of(name);
            else if (_halfOnly.Contains(name)) node.Input[i] = Float32Of(name);
        }
        for (int j = 0; j < node.Output.Count; j++)
        {
            var name = node.Output[j];
            if (name.Length == 0 || !typing.IsTOutput(j) || _types.Of(name) != (int)DT.Float) continue;
            var half = _editor.Names.Fresh(name + "_fp16");
            node.Output[j] = half;
            _half[name] = half;
            _halfOnly.Add(name);
            CopyValueInfo(name, half);
        }
    }

    private void Keep(NodeProto node, GraphView view)
    {
        KeptNodes++;
        for (int i = 0; i < node.Input.Count; i++)
            if (_halfOnly.Contains(node.Input[i])) Float32Of(node.Input[i]); // the Cast back writes the original name
        foreach (var captured in view.ImplicitInputsOf(node))
            if (_halfOnly.Contains(captured)) Float32Of(captured);
    }

    /// <summary>The float16 twin of a float32 tensor: a converted constant, or a Cast inserted once.</summary>
    private string Float16Of(string name)
    {
        if (_half.TryGetValue(name, out var half)) return half;
        half = _editor.Names.Fresh(name + "_fp16");
        if (_constants.TryGetValue(name, out var constant))
        {
            var values = TensorData.ReadAsFloat(constant, _source);
            var bits = new ushort[values.Length];
            Float16Conversion.ToBits(values, bits);
            var tensor = TensorData.Create<ushort>(half, bits, constant.Dims.ToArray(), (int)DT.Float16);
            if (_editor.Model.IrVersion >= 4) _graph.Initializer.Add(tensor);
            else _editor.AddNode("Constant", [], [half], half, "", Attributes.Tensor("value", tensor));
        }
        else
        {
            _editor.AddNode("Cast", [name], [half], name + "_to_fp16", "", Attributes.Int("to", (long)DT.Float16));
            CopyValueInfo(name, half);
        }
        _half[name] = half;
        return half;
    }

    /// <summary>Re-creates a float32 tensor (under its original name) from its float16 twin, once.</summary>
    private string Float32Of(string name)
    {
        if (_halfOnly.Remove(name))
            _editor.AddNode("Cast", [_half[name]], [name], name + "_to_fp32", "", Attributes.Int("to", (long)DT.Float));
        return name;
    }

    private void CopyValueInfo(string name, string half)
    {
        var info = _graph.ValueInfo.FirstOrDefault(v => v.Name == name) ?? _graph.Input.FirstOrDefault(v => v.Name == name)
            ?? _graph.Output.FirstOrDefault(v => v.Name == name);
        if (info?.Type?.TensorType is null) return;
        var copy = info.Clone();
        copy.Name = half;
        copy.Type.TensorType.ElemType = (int)DT.Float16;
        _graph.ValueInfo.Add(copy);
    }
}
