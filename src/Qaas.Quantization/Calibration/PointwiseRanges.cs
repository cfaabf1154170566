using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using E = Qaas.Quantization.Calibration.PointwiseExpression;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// Observed tensors that are an elementwise function of one tensor the observers read anyway, such as HardSwish's
/// t * Clip(t + 3, 0, 6) of the Conv output t: their min/max is taken while that source is scanned, by computing the
/// function on its values (<see cref="PointwiseObserver"/>), so they need not be captured. Unlike
/// <see cref="MonotoneRanges"/>, the function need not be monotone, but its source must be read: a captured tensor or
/// an observed graph input. Walks back through tensors nobody reads (unobserved ones, and those derived either way),
/// over nodes that are pointwise with constant scalar parameters, until every path ends at the same read tensor.
/// Only for plain min/max. On PP-OCR's MobileNetV3 classifier: the 18 HardSwish products.
/// </summary>
public sealed class PointwiseRanges
{
    /// <summary>Nodes one function may have: beyond that, reading a captured copy is cheaper than recomputing.</summary>
    public const int MaxExpressionSize = 24;

    private readonly Dictionary<string, string> _sourceOf;
    private readonly Dictionary<string, List<(string Tensor, E F)>> _bySource;

    private PointwiseRanges(Dictionary<string, string> sourceOf, Dictionary<string, List<(string, E)>> bySource) =>
        (_sourceOf, _bySource) = (sourceOf, bySource);

    /// <summary>Nothing derived.</summary>
    public static PointwiseRanges None => new(new(StringComparer.Ordinal), new(StringComparer.Ordinal));

    /// <summary>The tensors whose range is computed while their source is scanned.</summary>
    public IReadOnlyCollection<string> Derived => _sourceOf.Keys;

    public bool IsDerived(string tensor) => _sourceOf.ContainsKey(tensor);

    /// <summary>The read tensor <paramref name="tensor"/> is a function of.</summary>
    public string SourceOf(string tensor) => _sourceOf[tensor];

    /// <summary>The functions to evaluate while <paramref name="source"/> is scanned (none when it is no source).</summary>
    public IReadOnlyList<(string Tensor, E F)> From(string source) =>
        _bySource.TryGetValue(source, out var list) ? list : [];

    /// <param name="observed">All observed tensors.</param>
    /// <param name="monotone">Tensors already derived from their source's range: not read, and never worth a function.</param>
    public static PointwiseRanges Plan(OnnxModel model, IReadOnlyCollection<string> observed, MonotoneRanges monotone)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(monotone);
        var observedSet = observed as IReadOnlySet<string> ?? observed.ToHashSet(StringComparer.Ordinal);
        var producers = NodeParameters.Producers(model.Graph);
        var parameters = new NodeParameters(model, producers);
        // Read tensors: observed graph inputs, then each observed node output no function reaches, in graph order so
        // that every possible source is settled before the tensors computed from it.
        var read = model.Graph.Input.Select(i => i.Name).Where(observedSet.Contains).ToHashSet(StringComparer.Ordinal);
        var sourceOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var bySource = new Dictionary<string, List<(string, E)>>(StringComparer.Ordinal);
        foreach (var node in model.Graph.Node)
            foreach (var tensor in node.Output)
            {
                if (!observedSet.Contains(tensor) || monotone.IsDerived(tensor) || read.Contains(tensor))
                    continue;
                var walk = new Walk(tensor, read, producers, parameters);
                if (walk.Build(tensor) is { } f && walk.Source is { } source)
                {
                    sourceOf[tensor] = source;
                    if (!bySource.TryGetValue(source, out var list))
                        bySource[source] = list = [];
                    list.Add((tensor, f));
                }
                else
                {
                    read.Add(tensor);
                }
            }
        return new PointwiseRanges(sourceOf, bySource);
    }

    /// <summary>One tensor's function, built from its producer back to the single read tensor it depends on.</summary>
    private sealed class Walk(string root, HashSet<string> read, Dictionary<string, NodeProto> producers, NodeParameters parameters)
    {
        private readonly Dictionary<string, E?> _built = new(StringComparer.Ordinal);
        private int _nodes;

        public string? Source { get; private set; }

        public E? Build(string tensor)
        {
            if (tensor != root && read.Contains(tensor))
            {
                Source ??= tensor;
                return Source == tensor ? E.Source : null;
            }
            if (_built.TryGetValue(tensor, out var known))
                return known;
            if (++_nodes > MaxExpressionSize || !producers.TryGetValue(tensor, out var node)
                || !NodeParameters.IsDefaultDomainOutput(node, tensor))
                return null;
            return _built[tensor] = Node(node);
        }

        private E? Node(NodeProto node)
        {
            if (node.OpType is "Add" or "Sub" or "Mul" or "Div")
                return node.Input.Count == 2 ? Arithmetic(node.OpType, node.Input[0], node.Input[1]) : null;
            if (Build(node.Input[0]) is not { } x)
                return null;
            return node.OpType switch
            {
                "Identity" => x,
                "Neg" => E.Negate(x),
                "Relu" => E.Relu(x),
                "LeakyRelu" => E.LeakyRelu(x, NodeParameters.Attribute(node, "alpha", 0.01f)),
                "HardSigmoid" => E.HardSigmoid(x, NodeParameters.Attribute(node, "alpha", 0.2f), NodeParameters.Attribute(node, "beta", 0.5f)),
                "HardSwish" => E.HardSwish(x),
                "Clip" when parameters.ClipBounds(node) is { } b => E.Clip(x, b.Lo, b.Hi),
                _ => null,
            };
        }

        // A float scalar constant on either side, or two functions of the source; any other constant broadcasts.
        private E? Arithmetic(string op, string a, string b)
        {
            bool constantA = parameters.IsConstant(a), constantB = parameters.IsConstant(b);
            if (constantA && constantB)
                return null;
            if (constantA || constantB)
            {
                if (parameters.Scalar(constantA ? a : b) is not { } c || Build(constantA ? b : a) is not { } x)
                    return null;
                return (op, constantA) switch
                {
                    ("Add", _) => E.Add(x, c),
                    ("Mul", _) => E.Multiply(x, c),
                    ("Sub", false) => E.Subtract(x, c),
                    ("Sub", true) => E.SubtractFrom(c, x),
                    ("Div", false) => E.Divide(x, c),
                    _ => E.DivideInto(c, x),
                };
            }
            if (Build(a) is not { } l || Build(b) is not { } r)
                return null;
            return op switch
            {
                "Add" => E.Add(l, r),
                "Sub" => E.Subtract(l, r),
                "Mul" => E.Multiply(l, r),
                _ => E.Divide(l, r),
            };
        }
    }
}
