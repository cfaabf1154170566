using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Pipeline;

/// <summary>
/// Model inputs, one dictionary (input name -> tensor) per sample, ready for <c>InferenceSession.Run</c>.
/// Enumerating it again starts over; samples are produced lazily so memory does not grow with their number.
/// </summary>
public sealed class SampleFeed(Func<IEnumerable<IReadOnlyDictionary<string, Tensor>>> samples, int count, bool synthetic)
{
    public int Count { get; } = count;

    /// <summary>True when the samples were synthesized from the model's input specs (no dataset was given).</summary>
    public bool Synthetic { get; } = synthetic;

    public IEnumerable<IReadOnlyDictionary<string, Tensor>> Samples() => samples();

    public static SampleFeed FromList(IReadOnlyList<IReadOnlyDictionary<string, Tensor>> samples, bool synthetic = false) =>
        new(() => samples, samples.Count, synthetic);
}
