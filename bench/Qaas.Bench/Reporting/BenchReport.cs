namespace Qaas.Bench.Reporting;

/// <summary>A benchmark's printed block: figures, then each target with PASS/MISS.</summary>
public sealed class BenchReport(string name, string description)
{
    // Figures and targets in the order they were added, so related lines stay together.
    private readonly List<(string Line, bool? Met)> _lines = [];
    private readonly List<string> _notes = [];

    public int Misses => _lines.Count(t => t.Met == false);

    public BenchReport Figure(string label, string value)
    {
        _lines.Add(($"{label,-44} {value}", null));
        return this;
    }

    /// <summary>A target check: <paramref name="met"/> decides PASS or MISS.</summary>
    public BenchReport Target(string label, string value, string target, bool met)
    {
        _lines.Add(($"{label,-44} {value,-14} target {target,-12} {(met ? "PASS" : "MISS")}", met));
        return this;
    }

    public BenchReport Note(string note)
    {
        _notes.Add(note);
        return this;
    }

    public void Print(TextWriter w)
    {
        w.WriteLine($"== {name}: {description}");
        w.WriteLine($"machine: {MachineInfo.Describe()}; shared with other busy processes, so figures are noisy");
        foreach (var (line, _) in _lines) w.WriteLine("  " + line);
        foreach (var n in _notes) w.WriteLine("  note: " + n);
        w.WriteLine();
        w.Flush();
    }
}
