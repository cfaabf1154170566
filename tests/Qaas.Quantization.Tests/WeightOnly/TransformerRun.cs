using Google.Protobuf;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Metrics;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.WeightOnly;

/// <summary>Runs a model in a real ORT session and compares its first output with a reference model's.</summary>
internal static class TransformerRun
{
    public static float[] Run(ModelProto model, IReadOnlyDictionary<string, Tensor> inputs)
    {
        using var session = InferenceSession.Create(model.ToByteArray(), new InferenceSessionOptions { IntraOpThreads = 2, AllowSpinning = false });
        var outputs = session.Run(inputs);
        return outputs[session.Outputs[0].Name].ToArray<float>();
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
