using System.Numerics.Tensors;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Reports;

namespace Qaas.Quantization.Evaluation;

/// <summary>Running comparison of one output over all samples: error metrics, top-1 agreement and accuracy.</summary>
internal sealed class OutputComparison(string name)
{
    /// <summary>JSON has no infinity: an exact match is reported at this SQNR, a broken output at its negative.</summary>
    public const double SqnrCeilingDb = 300;

    private readonly ErrorAccumulator _error = new();
    private Top1Agreement? _top1;
    private long _labelled, _referenceCorrect, _candidateCorrect, _nonFinite;
    private float[] _saneReference = [], _saneCandidate = [];

    public string Name { get; } = name;

    public void Add(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate, int? classes, long[]? labels)
    {
        if (TensorPrimitives.IsFiniteAll(reference) && TensorPrimitives.IsFiniteAll(candidate))
            _error.Add(reference, candidate);
        else
            AddWithNonFinite(reference, candidate);
        if (classes is not { } c) return;
        (_top1 ??= new Top1Agreement()).Add(reference, candidate, c);
        var rows = reference.Length / c;
        if (labels is null || labels.Length != rows) return;
        for (var r = 0; r < rows; r++)
        {
            if (TensorPrimitives.IndexOfMax(reference.Slice(r * c, c)) == labels[r]) _referenceCorrect++;
            if (TensorPrimitives.IndexOfMax(candidate.Slice(r * c, c)) == labels[r]) _candidateCorrect++;
            _labelled++;
        }
    }

    /// <summary>Rare path: identical non-finite values (e.g. -inf log-probabilities in both) count as exact; any other
    /// non-finite value is counted and left out of the sums, which would otherwise all turn NaN.</summary>
    private void AddWithNonFinite(ReadOnlySpan<float> reference, ReadOnlySpan<float> candidate)
    {
        if (_saneReference.Length < reference.Length)
        {
            _saneReference = new float[reference.Length];
            _saneCandidate = new float[reference.Length];
        }
        var n = 0;
        for (var i = 0; i < reference.Length; i++)
        {
            float a = reference[i], b = candidate[i];
            if (float.IsFinite(a) && float.IsFinite(b))
            {
                _saneReference[n] = a;
                _saneCandidate[n++] = b;
            }
            else if (!(a.Equals(b))) // float.Equals treats NaN as equal to NaN
                _nonFinite++;
        }
        _error.Add(_saneReference.AsSpan(0, n), _saneCandidate.AsSpan(0, n));
    }

    public OutputFidelity Result() => new()
    {
        SqnrDb = _nonFinite > 0 ? -SqnrCeilingDb : Math.Clamp(_error.SqnrDb, -SqnrCeilingDb, SqnrCeilingDb),
        Cosine = _nonFinite > 0 ? 0 : _error.CosineSimilarity,
        MaxAbsError = _error.MaxAbsoluteError,
        MeanAbsError = _error.MeanAbsoluteError,
        Top1Agreement = _top1?.Rate,
        Accuracy = _labelled == 0 ? null : (double)_candidateCorrect / _labelled,
        ReferenceAccuracy = _labelled == 0 ? null : (double)_referenceCorrect / _labelled,
        NonFiniteValues = _nonFinite == 0 ? null : _nonFinite,
    };
}
