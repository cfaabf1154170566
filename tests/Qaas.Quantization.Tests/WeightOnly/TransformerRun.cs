using Google.Protobuf;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.WeightOnly;

/// <summary>Runs a model in a real ORT session and compares its first output with a reference model's.</summary>
internal static class TransformerRun
{
    public static float[] Run(ModelProto model, IReadOnlyDictionary<string, Tensor> inputs) =>
        RunOutput(model, inputs, model.Graph.Output[0].Name);

    public static float[] RunOutput(ModelProto model, IReadOnlyDictionary<string, Tensor> inputs, string output)
    {
        using var session = InferenceSession.Create(model.ToByteArray(), new InferenceSessionOptions { IntraOpThreads = 2, AllowSpinning = false });
        return session.Run(inputs)[output].ToArray<float>();
    }

    /// <summary>Random token sequences of length <paramref name="seq"/>, one per sample.</summary>
    public static SampleFeed Sentences(TransformerOptions o, int count, int seq, int seed) => new(() => Enumerable.Range(0, count).Select(i =>
    {
        var random = new Random(seed + i);
        var ids = Enumerable.Range(0, seq).Select(_ => (long)random.Next(o.Vocab)).ToArray();
        return (IReadOnlyDictionary<string, Tensor>)new Dictionary<string, Tensor> { [TransformerModelBuilder.InputName] = Tensor.Create(ids, 1, seq) };
    }), count, synthetic: false);

    /// <summary>SQNR of the candidate's first output against the reference's over the feed.</summary>
    public static double OutputSqnr(ModelProto reference, ModelProto candidate, SampleFeed feed)
    {
        var error = new ErrorAccumulator();
        foreach (var sample in feed.Samples())
            error.Add(Run(reference, sample), Run(candidate, sample));
        return error.SqnrDb;
    }

    public static Dictionary<string, Tensor> Tokens(TransformerOptions o, int batch, int seq) => new()
    {
        [TransformerModelBuilder.InputName] = Tensor.Create(TransformerModelBuilder.TokenIds(batch, seq, o.Vocab), batch, seq),
    };

    public static double Cosine(ModelProto reference, ModelProto candidate, IReadOnlyDictionary<string, Tensor> inputs)
    {
        var errors = new ErrorAccumulator();
        errors.Add(Run(reference, inputs), Run(candidate, inputs));
        return errors.CosineSimilarity;
    }

    public static Dictionary<string, int> OpCounts(ModelProto model) =>
        model.Graph.Node.GroupBy(n => n.OpType).ToDictionary(g => g.Key, g => g.Count());
}
