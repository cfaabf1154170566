using Qaas.Onnx.Io;
using Qaas.Quantization.Calibration;
using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Sessions;

namespace Qaas.Quantization.Transforms;

/// <summary>Receives one sample's value of one swept tensor (valid only during the call).</summary>
public delegate void TensorVisitor(string name, IReadOnlyList<long> shape, ReadOnlySpan<float> values);

/// <summary>
/// Runs a sample feed through one ONNX Runtime session and hands every chosen float tensor of every sample to a
/// visitor, read in place from one reused capture: memory does not grow with the sample count. Graph inputs come
/// straight from the feed.
/// </summary>
public static class TensorSweep
{
    /// <returns>The number of samples swept.</returns>
    public static int Run(OnnxModel model, IReadOnlyCollection<string> tensors, SampleFeed feed, TensorVisitor visit,
        CancellationToken cancellationToken = default)
    {
        var graphInputs = model.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var fromSession = tensors.Where(t => !graphInputs.Contains(t)).Distinct().ToList();
        var fromFeed = tensors.Where(graphInputs.Contains).Distinct().ToList();
        using var session = fromSession.Count > 0 ? InferenceSession.Create(CalibrationRunner.WithOutputs(model.Proto, fromSession), CalibrationRunner.SessionOptions(model)) : null;
        using var capture = session?.CreateCapture(fromSession);
        int samples = 0;
        foreach (var sample in feed.Samples())
        {
            cancellationToken.ThrowIfCancellationRequested();
            capture?.Run(sample, cancellationToken);
            foreach (var name in fromFeed)
                if (sample.TryGetValue(name, out var input))
                    visit(name, input.Shape, input.AsSpan<float>());
            for (int i = 0; i < fromSession.Count; i++)
                visit(fromSession[i], capture![i].Shape, capture[i].AsSpan<float>());
            samples++;
        }
        return samples;
    }
}
