using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Evaluation;
using Qaas.Runtime.Sessions;

namespace Qaas.Quantization.Search;

/// <summary>The fp32 model's session and the options every candidate a search scores is opened with.</summary>
internal sealed class CandidateSessions : IDisposable
{
    private readonly EvaluationRuntime _runtime;
    private readonly string? _externalData;

    public CandidateSessions(OnnxModel model, int threads)
    {
        _runtime = new EvaluationRuntime(threads);
        _externalData = model.Files is null ? null : Path.GetDirectoryName(model.Files.MainFile);
        Reference = Open(model.Proto);
    }

    public InferenceSession Reference { get; }

    public InferenceSession Open(ModelProto proto) => InferenceSession.Create(proto.ToByteArray(), _runtime.SessionOptions(_externalData));

    public void Dispose() => Reference.Dispose();
}
