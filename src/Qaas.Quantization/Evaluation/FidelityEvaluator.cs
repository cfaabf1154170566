using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Reports;
using Qaas.Runtime.Sessions;

namespace Qaas.Quantization.Evaluation;

/// <summary>
/// Runs the original and the quantized model on the same samples and folds every floating-point output (fp16, bf16
/// and double read as float) into per-output metrics: SQNR, cosine, max/mean absolute error, top-1 agreement for
/// class-score outputs (<see cref="ClassScores"/>) and, with labels, both models' accuracy. Non-float outputs are
/// skipped. Samples stream through one at a time: memory does not grow with their number.
/// </summary>
public static class FidelityEvaluator
{
    /// <summary>JSON has no infinity: an exact match is reported at this SQNR, an output with NaN/inf mismatches at its negative.</summary>
    public const double SqnrCeilingDb = OutputComparison.SqnrCeilingDb;

    /// <param name="labels">Per sample, the class of each row of a class-score output (length = rows, e.g. the batch);
    /// accuracy is computed for every class-score output whose row count matches.</param>
    public static Dictionary<string, OutputFidelity> Evaluate(
        ReadOnlyMemory<byte> original, ReadOnlyMemory<byte> quantized, SampleFeed feed,
        IReadOnlyList<long[]>? labels = null, EvaluationRuntime? runtime = null, CancellationToken cancellationToken = default)
    {
        runtime ??= new EvaluationRuntime();
        if (labels is not null && labels.Count != feed.Count)
            throw new ArgumentException($"{labels.Count} label rows for {feed.Count} samples.", nameof(labels));
        using var reference = InferenceSession.Create(original, runtime.SessionOptions());
        using var candidate = InferenceSession.Create(quantized, runtime.SessionOptions());
        return Evaluate(reference, candidate, feed, labels, cancellationToken);
    }

    public static Dictionary<string, OutputFidelity> Evaluate(
        byte[] original, byte[] quantized, SampleFeed feed,
        IReadOnlyList<long[]>? labels = null, EvaluationRuntime? runtime = null, CancellationToken cancellationToken = default) =>
        Evaluate(original.AsMemory(), quantized.AsMemory(), feed, labels, runtime, cancellationToken);

    /// <summary>Compares two open sessions (the caller owns them).</summary>
    public static Dictionary<string, OutputFidelity> Evaluate(
        InferenceSession reference, InferenceSession candidate, SampleFeed feed,
        IReadOnlyList<long[]>? labels = null, CancellationToken cancellationToken = default)
    {
        var outputs = reference.Outputs.Where(o => o.IsTensor && FloatReadout.IsFloat(o.ElementType)).ToList();
        foreach (var o in outputs)
            if (candidate.Outputs.All(c => c.Name != o.Name))
                throw new InvalidOperationException($"The quantized model has no output '{o.Name}'.");
        var names = outputs.Select(o => o.Name).ToList();
        if (names.Count == 0)
            return new Dictionary<string, OutputFidelity>(StringComparer.Ordinal); // no float output to compare
        var comparisons = outputs.Select(o => new OutputComparison(o.Name)).ToList();
        FloatReadout referenceReadout = new(), candidateReadout = new();

        var sample = 0;
        foreach (var inputs in feed.Samples())
        {
            cancellationToken.ThrowIfCancellationRequested();
            var r = reference.Run(inputs, names, cancellationToken);
            var c = candidate.Run(inputs, names, cancellationToken);
            for (var k = 0; k < outputs.Count; k++)
            {
                var rt = r[names[k]];
                var ct = c[names[k]];
                if (!rt.Shape.SequenceEqual(ct.Shape))
                    throw new InvalidOperationException(
                        $"Output '{names[k]}' has shape [{string.Join(",", rt.Shape)}] in the original and [{string.Join(",", ct.Shape)}] in the quantized model.");
                if (!FloatReadout.IsFloat(ct.ElementType))
                    throw new InvalidOperationException($"Output '{names[k]}' is {rt.ElementType} in the original and {ct.ElementType} in the quantized model.");
                comparisons[k].Add(referenceReadout.Read(rt), candidateReadout.Read(ct),
                    ClassScores.Classes(outputs[k], rt.Shape), labels?[sample]);
            }
            sample++;
        }
        return comparisons.ToDictionary(x => x.Name, x => x.Result(), StringComparer.Ordinal);
    }
}
