using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Sessions;

namespace Qaas.Quantization.Tests.QOperator;

/// <summary>Graph checks and output comparisons shared by the QOperator tests.</summary>
internal static class QOperatorGraph
{
    public static int Count(ModelProto model, string opType) => model.Graph.Node.Count(n => n.OpType == opType);

    /// <summary>Names of <paramref name="opTypes"/> nodes still fed by a DequantizeLinear and read by a QuantizeLinear.</summary>
    public static IReadOnlyList<string> QdqLeftovers(ModelProto model, params string[] opTypes)
    {
        var view = new GraphView(model.Graph);
        return model.Graph.Node
            .Where(n => opTypes.Contains(n.OpType))
            .Where(n => n.Input.Any(i => view.ProducerOf(i)?.OpType == "DequantizeLinear"))
            .Where(n => view.ConsumersOf(n.Output[0]).Any(c => c.OpType is "QuantizeLinear" or "Relu" or "Clip"))
            .Select(n => n.Name).ToList();
    }

    /// <summary>Every output of both models on every sample, accumulated per output name.</summary>
    public static Dictionary<string, ErrorAccumulator> Compare(ModelProto reference, ModelProto candidate, SampleFeed feed)
    {
        using var a = Open(reference);
        using var b = Open(candidate);
        var errors = a.Outputs.ToDictionary(o => o.Name, _ => new ErrorAccumulator());
        foreach (var sample in feed.Samples())
        {
            var x = a.Run(sample);
            var y = b.Run(sample);
            foreach (var (name, error) in errors)
                error.Add(x[name].ToArray<float>(), y[name].ToArray<float>());
        }
        return errors;
    }

    public static InferenceSession Open(ModelProto model) =>
        InferenceSession.Create(model.ToByteArray(), new InferenceSessionOptions { IntraOpThreads = 1, AllowSpinning = false });
}
