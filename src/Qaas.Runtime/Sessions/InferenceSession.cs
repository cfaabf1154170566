using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Qaas.Runtime.Native;
using Qaas.Runtime.Providers;
using Qaas.Runtime.Tensors;

namespace Qaas.Runtime.Sessions;

/// <summary>An ONNX model loaded into ONNX Runtime. Create once, run many times; <see cref="Run"/> may be called
/// from several threads at once (ORT sessions are thread-safe for Run).</summary>
public sealed unsafe class InferenceSession : IDisposable
{
    private readonly SessionHandle _handle;
    private readonly Dictionary<string, int> _inputIndex;
    private readonly Dictionary<string, int> _outputIndex;
    private readonly NativeNames _inputNames;
    private readonly NativeNames _outputNames;

    private InferenceSession(SessionHandle handle, ExecutionProviderKind provider, string? fallbackReason)
    {
        _handle = handle;
        ExecutionProvider = provider;
        ExecutionProviderFallbackReason = fallbackReason;
        Inputs = MetadataReader.ReadInputs(handle);
        Outputs = MetadataReader.ReadOutputs(handle);
        _inputIndex = IndexByName(Inputs);
        _outputIndex = IndexByName(Outputs);
        _inputNames = new NativeNames(Inputs.Select(i => i.Name));
        _outputNames = new NativeNames(Outputs.Select(o => o.Name));
    }

    public IReadOnlyList<ValueMetadata> Inputs { get; }

    public IReadOnlyList<ValueMetadata> Outputs { get; }

    /// <summary>The provider the session actually runs on (CUDA requests fall back to CPU when CUDA is unavailable).</summary>
    public ExecutionProviderKind ExecutionProvider { get; }

    /// <summary>Why the requested provider was not used; null when it was.</summary>
    public string? ExecutionProviderFallbackReason { get; }

    /// <summary>Loads a model from its serialized ModelProto bytes (the bytes are not needed after this returns).
    /// Models with external data must have it inlined or loaded by the caller first.</summary>
    public static InferenceSession Create(ReadOnlyMemory<byte> model, InferenceSessionOptions? options = null, ILogger? logger = null)
    {
        options ??= new InferenceSessionOptions();
        logger ??= NullLogger.Instance;
        var environment = OrtEnvironment.Instance;

        using var nativeOptions = NativeSessionOptions.Build(options, logger, out var provider, out var fallbackReason);
        var handle = new SessionHandle();
        try
        {
            nint session;
            using (var pin = model.Pin())
            {
                OrtStatus.Check(OrtApi.CreateSessionFromArray(environment.Handle.DangerousGetHandle(), pin.Pointer,
                    (nuint)model.Length, nativeOptions.DangerousGetHandle(), &session));
            }
            handle.Attach(session);
            return new InferenceSession(handle, provider, fallbackReason);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public static InferenceSession Create(byte[] model, InferenceSessionOptions? options = null, ILogger? logger = null) =>
        Create(model.AsMemory(), options, logger);

    /// <summary>Runs the model. Inputs are matched by name; <paramref name="outputNames"/> defaults to every graph
    /// output, and the result follows its order. Cancelling the token terminates the run (RunOptionsSetTerminate)
    /// and throws <see cref="OperationCanceledException"/>; the session stays usable.</summary>
    public IReadOnlyList<NamedTensor> Run(IEnumerable<NamedTensor> inputs, IReadOnlyList<string>? outputNames = null,
        CancellationToken cancellationToken = default)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var inputList = inputs as IReadOnlyList<NamedTensor> ?? inputs.ToList();
        var outputIndices = outputNames is null
            ? Enumerable.Range(0, Outputs.Count).ToArray()
            : outputNames.Select(n => Lookup(_outputIndex, n, "output")).ToArray();

        var outputValues = new nint[outputIndices.Length];
        try
        {
            RunInto(inputList, outputIndices, outputValues, cancellationToken);
            var results = new NamedTensor[outputIndices.Length];
            for (var i = 0; i < outputIndices.Length; i++)
            {
                var name = Outputs[outputIndices[i]].Name;
                results[i] = new NamedTensor(name, OutputReader.Read(outputValues[i], name));
            }
            return results;
        }
        finally
        {
            foreach (var value in outputValues)
                if (value != 0)
                    OrtApi.ReleaseValue(value);
        }
    }

    /// <summary>Runs with <paramref name="outputValues"/> as ORT's output array: a zero slot receives a new OrtValue the
    /// caller must release; a non-zero slot is a pre-allocated tensor that ORT writes in place (its shape must match).</summary>
    internal void RunInto(IReadOnlyList<NamedTensor> inputList, int[] outputIndices, nint[] outputValues,
        CancellationToken cancellationToken)
    {
        var inputValues = new List<InputValue>(inputList.Count);
        var inputNamePointers = new byte*[inputList.Count];
        var inputValuePointers = new nint[inputList.Count];
        var outputNamePointers = new byte*[outputIndices.Length];
        var addedRef = false;
        try
        {
            for (var i = 0; i < inputList.Count; i++)
            {
                var index = Lookup(_inputIndex, inputList[i].Name, "input");
                var value = InputValue.Create(inputList[i].Tensor);
                inputValues.Add(value);
                inputNamePointers[i] = _inputNames[index];
                inputValuePointers[i] = value.Value.DangerousGetHandle();
            }
            for (var i = 0; i < outputIndices.Length; i++)
                outputNamePointers[i] = _outputNames[outputIndices[i]];

            _handle.DangerousAddRef(ref addedRef);
            RunNative(inputNamePointers, inputValuePointers, outputNamePointers, outputValues, cancellationToken);
        }
        finally
        {
            // Values first, then the pins that kept their buffers in place.
            foreach (var value in inputValues)
                value.Dispose();
            if (addedRef)
                _handle.DangerousRelease();
        }
    }

    internal int OutputIndex(string name) => Lookup(_outputIndex, name, "output");

    /// <summary>An <see cref="OutputCapture"/> over <paramref name="outputNames"/> (default: every graph output): runs
    /// whose outputs stay in ORT's memory, are reused by the next run, and are read as spans without copying.</summary>
    public OutputCapture CreateCapture(IReadOnlyList<string>? outputNames = null) =>
        new(this, outputNames ?? Outputs.Select(o => o.Name).ToArray());

    /// <summary>Convenience overload: inputs as a name -> tensor map, outputs as a name -> tensor map.</summary>
    public IReadOnlyDictionary<string, Tensor> Run(IReadOnlyDictionary<string, Tensor> inputs,
        IReadOnlyList<string>? outputNames = null, CancellationToken cancellationToken = default) =>
        Run(inputs.Select(kv => new NamedTensor(kv.Key, kv.Value)), outputNames, cancellationToken)
            .ToDictionary(t => t.Name, t => t.Tensor);

    private void RunNative(byte*[] inputNames, nint[] inputValues, byte*[] outputNames, nint[] outputValues,
        CancellationToken cancellationToken)
    {
        using var runOptions = cancellationToken.CanBeCanceled ? CreateRunOptions() : null;
        using var registration = runOptions is null
            ? default
            : cancellationToken.UnsafeRegister(static state => Terminate((RunOptionsHandle)state!), runOptions);

        nint status;
        fixed (byte** inNames = inputNames)
        fixed (nint* inValues = inputValues)
        fixed (byte** outNames = outputNames)
        fixed (nint* outValues = outputValues)
        {
            status = OrtApi.Run(_handle.DangerousGetHandle(), runOptions?.DangerousGetHandle() ?? 0,
                inNames, inValues, (nuint)inputNames.Length, outNames, (nuint)outputNames.Length, outValues);
        }
        if (status == 0)
            return;
        var error = OrtStatus.ToException(status);
        if (cancellationToken.IsCancellationRequested)
            throw new OperationCanceledException("The ONNX Runtime run was cancelled.", error, cancellationToken);
        throw error;
    }

    private static RunOptionsHandle CreateRunOptions()
    {
        var handle = new RunOptionsHandle();
        nint raw;
        OrtStatus.Check(OrtApi.CreateRunOptions(&raw));
        handle.Attach(raw);
        return handle;
    }

    private static void Terminate(RunOptionsHandle runOptions)
    {
        var addedRef = false;
        try
        {
            runOptions.DangerousAddRef(ref addedRef);
            OrtStatus.Check(OrtApi.RunOptionsSetTerminate(runOptions.DangerousGetHandle()));
        }
        catch (ObjectDisposedException)
        {
            // The run already finished and released its options.
        }
        finally
        {
            if (addedRef)
                runOptions.DangerousRelease();
        }
    }

    private static int Lookup(Dictionary<string, int> index, string name, string kind) =>
        index.TryGetValue(name, out var i)
            ? i
            : throw new ArgumentException($"The model has no {kind} named '{name}'. Its {kind}s: {string.Join(", ", index.Keys)}.");

    private static Dictionary<string, int> IndexByName(IReadOnlyList<ValueMetadata> values)
    {
        var index = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < values.Count; i++)
            index.TryAdd(values[i].Name, i);
        return index;
    }

    /// <summary>Releases the native session. Must not race with a <see cref="Run"/> in progress.</summary>
    public void Dispose()
    {
        _handle.Dispose();
    }

    /// <summary>NUL-terminated UTF-8 copies of the graph's names in one array on the pinned object heap, so runs need
    /// no per-call marshalling and a Dispose racing a Run cannot free them under it.</summary>
    private sealed class NativeNames
    {
        private readonly byte[] _block;
        private readonly int[] _offsets;

        public NativeNames(IEnumerable<string> names)
        {
            var encoded = names.Select(NativeSessionOptions.Utf8).ToArray();
            _offsets = new int[encoded.Length];
            var total = 0;
            for (var i = 0; i < encoded.Length; i++)
            {
                _offsets[i] = total;
                total += encoded[i].Length;
            }
            _block = GC.AllocateUninitializedArray<byte>(Math.Max(total, 1), pinned: true);
            for (var i = 0; i < encoded.Length; i++)
                encoded[i].CopyTo(_block, _offsets[i]);
        }

        public byte* this[int index] => (byte*)Unsafe.AsPointer(ref _block[_offsets[index]]);
    }
}
