namespace Qaas.Cli.Parsing;

/// <summary>
/// Positional arguments plus "--name value" / "--name=value" options (repeatable) and "--flag" switches.
/// Hand-written: the surface is small and a tiny parser keeps usage errors under our control.
/// </summary>
public sealed class ParsedArgs
{
    private readonly Dictionary<string, List<string>> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _flags = new(StringComparer.Ordinal);
    public List<string> Positionals { get; } = [];

    public static ParsedArgs Parse(IEnumerable<string> args, IReadOnlySet<string> flagNames)
    {
        var parsed = new ParsedArgs();
        using var e = args.GetEnumerator();
        while (e.MoveNext())
        {
            var a = e.Current;
            if (!a.StartsWith("--", StringComparison.Ordinal) || a == "--") { parsed.Positionals.Add(a); continue; }
            var name = a[2..];
            string? value = null;
            var eq = name.IndexOf('=');
            if (eq >= 0) { value = name[(eq + 1)..]; name = name[..eq]; }
            if (flagNames.Contains(name))
            {
                if (value is not null) throw new UsageException($"--{name} takes no value.");
                parsed._flags.Add(name);
                continue;
            }
            if (value is null)
            {
                if (!e.MoveNext()) throw new UsageException($"--{name} needs a value.");
                value = e.Current;
            }
            if (!parsed._options.TryGetValue(name, out var list)) parsed._options[name] = list = [];
            list.Add(value);
        }
        return parsed;
    }

    public bool Flag(string name) => _flags.Contains(name);

    public IReadOnlyList<string> All(string name) => _options.TryGetValue(name, out var l) ? l : [];

    public string? Single(string name)
    {
        var all = All(name);
        if (all.Count > 1) throw new UsageException($"--{name} was given {all.Count} times.");
        return all.Count == 1 ? all[0] : null;
    }

    /// <summary>Fails on options the command does not know, so typos are not silently ignored.</summary>
    public void RejectUnknown(IReadOnlySet<string> known)
    {
        foreach (var name in _options.Keys.Concat(_flags))
            if (!known.Contains(name)) throw new UsageException($"Unknown option --{name}.");
    }

    public string Positional(int index, string what) =>
        index < Positionals.Count ? Positionals[index] : throw new UsageException($"Missing {what}.");
}
