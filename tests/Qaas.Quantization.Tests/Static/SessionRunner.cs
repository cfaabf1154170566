using Google.Protobuf;
using Qaas.Onnx.Proto;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.Static;

/// <summary>Runs a ModelProto in a real ONNX Runtime session and returns its first output as floats.</summary>
internal sealed class SessionRunner : IDisposable
{
    private readonly InferenceSession _session;

    public SessionRunner(ModelProto model, int threads = 2) =>
        _session = InferenceSession.Create(model.ToByteArray(), new InferenceSessionOptions { IntraOpThreads = threads, AllowSpinning = false });

    public float[] Run(IReadOnlyDictionary<string, Tensor> inputs) =>
        _session.Run(inputs)[_session.Outputs[0].Name].ToArray<float>();

    public void Dispose() => _session.Dispose();
}
