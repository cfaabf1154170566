using Qaas.Runtime.Native;
using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Sessions;

/// <summary>
/// Runs one session again and again into output tensors that live across runs, and lets the caller read them in place.
/// The first run, and any run whose input shapes differ from the previous one's, lets ORT allocate the outputs; every
/// other run hands the same tensors back to ORT, which writes into them (no fresh memory, no page faults, no copy).
/// Outputs are read as spans over that native memory via <see cref="this[int]"/>; what a run wrote is valid until the
/// next <see cref="Run(IEnumerable{NamedTensor}, CancellationToken)"/> or <see cref="Dispose"/>, and reading it later
/// throws rather than showing newer data. One run at a time per capture (a concurrent Run throws); the session itself
/// stays free for other runs and captures.
/// </summary>
public sealed unsafe class OutputCapture : IDisposable
{
    private readonly InferenceSession _session;
    private readonly int[] _outputIndices;
    private readonly Dictionary<string, int> _byName;
    private readonly nint[] _values; // ORT's output array: zero slots get new tensors, the others are written in place
    private readonly ValueHandle?[] _owners; // release _values[i] (also when the capture is never disposed)
    private readonly CapturedLayout[] _layouts;
    private (string Name, long[] Shape)[]? _lastInputShapes;
    private int _generation;
    private int _running;
    private bool _hasResult;
    private bool _disposed;

    internal OutputCapture(InferenceSession session, IReadOnlyList<string> outputNames)
    {
        _session = session;
        if (outputNames.Count == 0)
            throw new ArgumentException("A capture needs at least one output.", nameof(outputNames));
        _outputIndices = outputNames.Select(session.OutputIndex).ToArray();
        Names = _outputIndices.Select(i => session.Outputs[i].Name).ToArray();
        _byName = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < Names.Count; i++)
            if (!_byName.TryAdd(Names[i], i))
                throw new ArgumentException($"Output '{Names[i]}' is listed twice.", nameof(outputNames));
        _values = new nint[_outputIndices.Length];
        _owners = new ValueHandle?[_outputIndices.Length];
        _layouts = new CapturedLayout[_outputIndices.Length];
    }

    /// <summary>The captured outputs, in the order they were requested.</summary>
    public IReadOnlyList<string> Names { get; }

    public int Count => _values.Length;

    /// <summary>Total bytes the captured outputs occupy (0 before the first run).</summary>
    public long ByteCount => _hasResult ? _layouts.Sum(l => l.ByteCount) : 0;

    /// <summary>Runs the model; afterwards every output is readable through the indexers. On failure no output is
    /// readable until a later run succeeds. Cancellation behaves as in <see cref="InferenceSession"/>.</summary>
    public void Run(IEnumerable<NamedTensor> inputs, CancellationToken cancellationToken = default)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        cancellationToken.ThrowIfCancellationRequested();
        if (Interlocked.Exchange(ref _running, 1) != 0)
            throw new InvalidOperationException("This capture is already running; use one capture per thread.");
        try
        {
            RunExclusive(inputs as IReadOnlyList<NamedTensor> ?? inputs.ToList(), cancellationToken);
        }
        finally
        {
            Volatile.Write(ref _running, 0);
        }
    }

    private void RunExclusive(IReadOnlyList<NamedTensor> inputList, CancellationToken cancellationToken)
    {
        _generation++;
        _hasResult = false;

        var shapes = inputList.Select(i => (i.Name, i.Tensor.Shape.ToArray())).ToArray();
        if (!SameShapes(shapes, _lastInputShapes))
            ReleaseValues();
        _lastInputShapes = shapes;

        var reused = _values[0] != 0;
        try
        {
            _session.RunInto(inputList, _outputIndices, _values, cancellationToken);
        }
        catch (OrtException) when (reused && !cancellationToken.IsCancellationRequested)
        {
            // Same input shapes can still give other output shapes (data-dependent ops such as NonZero); ORT then
            // refuses the old tensors. Let it allocate new ones once.
            ReleaseValues();
            _session.RunInto(inputList, _outputIndices, _values, cancellationToken);
            reused = false;
        }
        if (!reused)
        {
            for (var i = 0; i < _values.Length; i++)
                _owners[i] = new ValueHandle(_values[i]);
            try
            {
                ReadLayouts();
            }
            catch
            {
                // An output that cannot be read in place (string, sequence) must not be reused unread next time.
                ReleaseValues();
                throw;
            }
        }
        _hasResult = true;
    }

    /// <summary>Convenience overload: inputs as a name -> tensor map.</summary>
    public void Run(IReadOnlyDictionary<string, Tensor> inputs, CancellationToken cancellationToken = default) =>
        Run(inputs.Select(kv => new NamedTensor(kv.Key, kv.Value)), cancellationToken);

    /// <summary>Output <paramref name="index"/> (in <see cref="Names"/> order) of the last run.</summary>
    public CapturedTensor this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Count);
            return new CapturedTensor(this, index, _generation);
        }
    }

    public CapturedTensor this[string name] =>
        _byName.TryGetValue(name, out var index)
            ? new CapturedTensor(this, index, _generation)
            : throw new ArgumentException($"'{name}' is not one of the {Count} captured outputs.", nameof(name));

    internal ref readonly CapturedLayout Layout(int index, int generation)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (generation != _generation)
            throw new InvalidOperationException(
                $"Captured output '{Names[index]}' was taken before a later Run overwrote its buffer; read it again from the capture.");
        if (!_hasResult)
            throw new InvalidOperationException("No captured outputs: the capture has not completed a run (or its last run failed).");
        return ref _layouts[index];
    }

    private void ReadLayouts()
    {
        for (var i = 0; i < _values.Length; i++)
            _layouts[i] = CapturedLayout.Read(_values[i], Names[i]);
    }

    private void ReleaseValues()
    {
        for (var i = 0; i < _values.Length; i++)
        {
            _owners[i]?.Dispose();
            _owners[i] = null;
            _values[i] = 0;
            _layouts[i] = default;
        }
    }

    private static bool SameShapes((string Name, long[] Shape)[] current, (string Name, long[] Shape)[]? previous)
    {
        if (previous is null || previous.Length != current.Length)
            return false;
        for (var i = 0; i < current.Length; i++)
            if (current[i].Name != previous[i].Name || !current[i].Shape.AsSpan().SequenceEqual(previous[i].Shape))
                return false;
        return true;
    }

    /// <summary>Frees the captured outputs. The session is not disposed.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _hasResult = false;
        ReleaseValues();
    }
}
