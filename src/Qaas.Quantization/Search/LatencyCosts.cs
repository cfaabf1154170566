using Google.Protobuf;
using Qaas.Onnx.Proto;
using Qaas.Quantization.WeightOnly;
using Qaas.Runtime.Profiling;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Search;

/// <summary>
/// What each weight's MatMulNBits costs in time at each candidate width, for mixedPrecision's "latency" objective:
/// the model is quantized with every weight at one width, the widths' sessions take turns running under ONNX Runtime's
/// profiler, and each weight gets the mean kernel time of the nodes that compute its MatMuls (a shared weight: all).
/// </summary>
internal static class LatencyCosts
{
    private const int WarmUp = 3, Runs = 9;

    /// <param name="uses">Per weight, the MatMuls that read it.</param>
    /// <param name="modelAt">The model with every weight at the given width (unfused, so that each MatMul is one node).</param>
    /// <returns>Microseconds per run, [weight, candidate].</returns>
    public static double[,] Measure(IReadOnlyList<IReadOnlyList<WeightedMatMul>> uses, int[] bits, Func<int, ModelProto> modelAt,
        IReadOnlyDictionary<string, Tensor> sample, InferenceSessionOptions options, CancellationToken cancellationToken)
    {
        var costs = new double[uses.Count, bits.Length];
        // The MatMulNBits node computing a MatMul writes its output, or its bias Add's, which it absorbed.
        var weightOf = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int w = 0; w < uses.Count; w++)
            foreach (var m in uses[w])
                weightOf[m.BiasAdd?.Output[0] ?? m.Output] = w;
        var folder = Directory.CreateTempSubdirectory("qaas-latency");
        try
        {
            var nodeWeights = new Dictionary<string, int>[bits.Length];
            var sessions = new List<InferenceSession>();
            try
            {
                for (int b = 0; b < bits.Length; b++)
                {
                    var model = modelAt(bits[b]);
                    // ORT writes node names into the profile's JSON unescaped: a quote in one would break the file.
                    RenameNodes(model.Graph, "n");
                    // Profile events carry node names (the quantizer names every MatMulNBits it writes).
                    nodeWeights[b] = new Dictionary<string, int>(StringComparer.Ordinal);
                    foreach (var node in model.Graph.Node.Where(n => n.OpType == "MatMulNBits" && n.Name.Length > 0))
                        if (weightOf.TryGetValue(node.Output[0], out var w)) nodeWeights[b][node.Name] = w;
                    sessions.Add(InferenceSession.Create(model.ToByteArray(), options with { ProfileFilePrefix = Path.Combine(folder.FullName, $"bits{bits[b]}") }));
                }
                // Warm-up, then the widths take turns, so that load and caches hit them alike.
                for (int run = 0; run < WarmUp + Runs; run++)
                    foreach (var session in sessions)
                    {
                        cancellationToken.ThrowIfCancellationRequested();
                        session.Run(sample);
                    }
            }
            finally
            {
                foreach (var session in sessions) session.Dispose(); // writes the profiles
            }
            for (int b = 0; b < bits.Length; b++)
            {
                var file = Directory.GetFiles(folder.FullName, $"bits{bits[b]}*.json").FirstOrDefault()
                    ?? throw new InvalidOperationException($"ONNX Runtime wrote no profile for the {bits[b]}-bit model in {folder.FullName}.");
                // The profile has whole microseconds: the mean over the runs resolves finer than any one of them.
                foreach (var (node, (_, times)) in KernelProfile.Kernels(file))
                    if (nodeWeights[b].TryGetValue(node, out var w))
                        costs[w, b] += times.Skip(WarmUp).DefaultIfEmpty().Average();
            }
        }
        finally
        {
            try { folder.Delete(recursive: true); }
            catch (IOException) { } // a leftover temp folder must not hide what went wrong (or a cancellation)
        }
        return costs;
    }

    // Plain names ("n0", "n1", "n3_g0_n2" in subgraphs) that need no escaping; names mean nothing to ORT's execution.
    private static void RenameNodes(GraphProto graph, string prefix)
    {
        for (int i = 0; i < graph.Node.Count; i++)
        {
            var node = graph.Node[i];
            node.Name = $"{prefix}{i}";
            int g = 0;
            foreach (var attribute in node.Attribute)
                foreach (var subgraph in attribute.Graphs.Prepend(attribute.G).Where(s => s is not null))
                    RenameNodes(subgraph, $"{node.Name}_g{g++}_n");
        }
    }
}
