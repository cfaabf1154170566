using Qaas.Quantization.Evaluation;
using Qaas.Quantization.Metrics;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Search;

/// <summary>
/// The fp32 model's float outputs on a few samples, computed once, so scoring many candidates runs only the candidates.
/// </summary>
internal sealed class ReferenceOutputs
{
    private readonly IReadOnlyList<IReadOnlyDictionary<string, Tensor>> _inputs;
    private readonly List<float[][]> _outputs = [];
    private readonly List<string> _names;

    public ReferenceOutputs(InferenceSession reference, IReadOnlyList<IReadOnlyDictionary<string, Tensor>> inputs, CancellationToken ct)
    {
        _inputs = inputs;
        _names = reference.Outputs.Where(o => o.IsTensor && FloatReadout.IsFloat(o.ElementType)).Select(o => o.Name).ToList();
        var readout = new FloatReadout();
        foreach (var sample in inputs)
        {
            var r = reference.Run(sample, _names, ct);
            _outputs.Add(_names.Select(n => readout.Read(r[n]).ToArray()).ToArray());
        }
    }

    /// <summary>The lowest SQNR (dB) over the float outputs of <paramref name="candidate"/> against the reference.</summary>
    public double MinSqnrDb(InferenceSession candidate, CancellationToken ct)
    {
        var errors = _names.Select(_ => new ErrorAccumulator()).ToArray();
        var readout = new FloatReadout();
        for (var s = 0; s < _inputs.Count; s++)
        {
            ct.ThrowIfCancellationRequested();
            var c = candidate.Run(_inputs[s], _names, ct);
            for (var k = 0; k < _names.Count; k++)
                errors[k].Add(_outputs[s][k], readout.Read(c[_names[k]]));
        }
        return errors.Length == 0 ? FidelityEvaluator.SqnrCeilingDb
            : errors.Min(e => Math.Clamp(e.SqnrDb, -FidelityEvaluator.SqnrCeilingDb, FidelityEvaluator.SqnrCeilingDb));
    }
}
