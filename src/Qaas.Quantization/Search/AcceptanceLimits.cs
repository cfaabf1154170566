using Qaas.Quantization.Recipes;
using Qaas.Quantization.Reports;

namespace Qaas.Quantization.Search;

/// <summary>The output-fidelity limits of a recipe's acceptance block (SQNR and cosine), checked on every float output.</summary>
public sealed record AcceptanceLimits(double? MinSqnrDb, double? MinCosine)
{
    public static AcceptanceLimits From(AcceptanceSpec? spec) => new(spec?.MinSqnrDb, spec?.MinCosine);

    /// <summary>Whether there is anything for a fidelity measurement to check.</summary>
    public bool Any => MinSqnrDb is not null || MinCosine is not null;

    public bool HeldBy(IReadOnlyDictionary<string, OutputFidelity> outputs) =>
        outputs.Values.All(o => (MinSqnrDb is not { } s || o.SqnrDb >= s) && (MinCosine is not { } c || o.Cosine >= c));

    public override string ToString() => string.Join(", ",
        new[] { MinSqnrDb is { } s ? $"SQNR >= {s} dB" : null, MinCosine is { } c ? $"cosine >= {c}" : null }.OfType<string>());
}
