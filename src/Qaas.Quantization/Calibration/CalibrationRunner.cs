using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Formats;
using Qaas.Quantization.Pipeline;
using Qaas.Quantization.Recipes;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// Runs calibration samples through ONNX Runtime and folds the chosen intermediate tensors into range observers.
/// One session over a copy of the model whose graph outputs include those tensors; samples stream through it one at
/// a time into <see cref="OutputCapture"/>s (two taking turns, so observing one sample overlaps inferring the next),
/// whose output buffers every sample reuses and observers read in place: memory does not grow with the sample count
/// and no sample's activations are copied. With min/max, tensors whose range follows from another observed tensor's
/// through monotone ops (<see cref="MonotoneRanges"/>) are not captured at all, nor those computed from a captured
/// tensor by pointwise ops (<see cref="PointwiseRanges"/>); with a histogram method, those that are another observed
/// tensor reshaped or scaled by a positive constant.
/// </summary>
public static partial class CalibrationRunner
{
    /// <summary>Intra-op threads of the calibration session: calibration shares the machine with other jobs.</summary>
    public const int SessionThreads = 2;

    /// <summary>Captured bytes per sample up to which a second set of capture buffers is made (see <see cref="Run"/>).</summary>
    public const long MaxDoubleBufferedBytes = 256L << 20;

    /// <param name="tensors">Float tensors to observe: node outputs or graph inputs of the main graph.</param>
    /// <param name="activations">Calibration method, target type, symmetry and percentile.</param>
    /// <param name="intraOpThreads">ONNX Runtime intra-op threads (benchmarks pin 1 to compare with a plain session).</param>
    /// <returns>Tensor name -> (min, max) proposed by its observer.</returns>
    public static IReadOnlyDictionary<string, (float Min, float Max)> Run(OnnxModel model, IReadOnlyCollection<string> tensors,
        SampleFeed feed, ActivationSpec activations, CancellationToken cancellationToken, IProgress<double>? progress = null,
        int intraOpThreads = SessionThreads)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(feed);
        var observers = CreateObservers(tensors, activations);
        if (observers.Count == 0)
            return new Dictionary<string, (float, float)>();

        // A tensor whose range follows from another observed one's range is neither captured nor observed (with a
        // histogram method, only through shape ops and positive scaling); with plain min/max, one that is a pointwise
        // function of a tensor read anyway is computed while that one is scanned.
        bool plainMinMax = observers.Values.All(o => o is MinMaxObserver { AveragingConstant: null });
        bool histograms = observers.Values.All(o => o is SmallTensorFallback);
        var monotone = plainMinMax || histograms ? MonotoneRanges.Plan(model, observers.Keys, histograms) : MonotoneRanges.None;
        var pointwise = plainMinMax ? PointwiseRanges.Plan(model, observers.Keys, monotone) : PointwiseRanges.None;
        var graphInputs = model.Graph.Input.Select(i => i.Name).ToHashSet(StringComparer.Ordinal);
        var fromFeed = observers.Keys.Where(graphInputs.Contains).ToList();
        var fromSession = observers.Keys
            .Where(n => !graphInputs.Contains(n) && !monotone.IsDerived(n) && !pointwise.IsDerived(n)).ToList();
        var scanners = fromFeed.Concat(fromSession).ToDictionary(n => n, n => Scanner(n, observers, pointwise), StringComparer.Ordinal);

        using var session = InferenceSession.Create(WithOutputs(model.Proto, fromSession), SessionOptions(model, intraOpThreads));
        // Two captures taking turns: while ONNX Runtime fills one with the next sample, a worker folds the other into
        // the observers, so observing costs no wall time beside inference when a core is free (and what the worker
        // has not reached, the calibration thread observes itself). The second set of buffers is only made when one
        // sample's activations are small enough to hold twice.
        var captures = new List<OutputCapture>(2);
        var sessionObservers = fromSession.Select(n => scanners[n]).ToArray();
        CapturedSampleObservation? previous = null;
        var worker = fromSession.Count > 0 ? new ObservationWorker() : null;
        int done = 0;
        try
        {
            foreach (var sample in feed.Samples())
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var name in fromFeed)
                    if (sample.TryGetValue(name, out var input))
                        Observe(scanners[name], input);
                if (fromSession.Count > 0)
                {
                    if (captures.Count == 0 || (captures.Count == 1 && done == 1 && captures[0].ByteCount <= MaxDoubleBufferedBytes))
                        captures.Add(session.CreateCapture(fromSession));
                    var capture = captures[done % captures.Count];
                    if (captures.Count == 1)
                        previous?.Complete(); // one buffer: its readers must be done before ORT overwrites it
                    capture.Run(sample, cancellationToken);
                    previous?.Complete();
                    previous = new CapturedSampleObservation(capture, sessionObservers);
                    worker!.Post(previous);
                }
                done++;
                if (feed.Count > 0)
                    progress?.Report(Math.Min(1.0, (double)done / feed.Count));
            }
            previous?.Complete();
        }
        finally
        {
            previous?.Abandon(); // after a failure or cancellation: no worker may read a capture freed below
            worker?.Dispose();
            foreach (var c in captures) c.Dispose();
        }
        if (done == 0)
            throw new InvalidOperationException("Calibration needs at least one sample; the feed was empty.");
        progress?.Report(1.0);
        // Observers of pointwise-derived tensors were fed while their sources were scanned: observed like the rest.
        if (monotone.Derived.Count == 0)
            return observers.ToDictionary(kv => kv.Key, kv => kv.Value.ComputeRange(), StringComparer.Ordinal);
        return monotone.Ranges(observers.Where(kv => !monotone.IsDerived(kv.Key))
            .ToDictionary(kv => kv.Key, kv => RangeIfSeen(kv.Value), StringComparer.Ordinal));
    }

    private static (float Min, float Max)? RangeIfSeen(IRangeObserver observer) => observer switch
    {
        MinMaxObserver { IsEmpty: true } or SmallTensorFallback { IsEmpty: true } => null,
        _ => observer.ComputeRange(),
    };

    /// <summary>What scans a read tensor: its own observer, and those of the functions of it it computes.</summary>
    private static IRangeObserver Scanner(string tensor, Dictionary<string, IRangeObserver> observers, PointwiseRanges pointwise)
    {
        var functions = pointwise.From(tensor);
        return functions.Count == 0
            ? observers[tensor]
            : new PointwiseObserver((MinMaxObserver)observers[tensor], functions.Select(f => (f.F, (MinMaxObserver)observers[f.Tensor])).ToList());
    }

    /// <summary>
    /// A serialized copy of <paramref name="model"/> whose main graph also outputs <paramref name="tensors"/>.
    /// A ValueInfoProto with elem_type float and no shape is enough for ONNX Runtime.
    /// </summary>
    /// <summary>The options of a session that reads calibration samples: few threads, no spinning, the model's external data.</summary>
    public static InferenceSessionOptions SessionOptions(OnnxModel model, int intraOpThreads = SessionThreads) => new()
    {
        IntraOpThreads = intraOpThreads,
        InterOpThreads = 1,
        AllowSpinning = false,
        ExternalDataDirectory = model.Files is null ? null : Path.GetDirectoryName(model.Files.MainFile),
    };

    public static byte[] WithOutputs(ModelProto model, IEnumerable<string> tensors)
    {
        var copy = model.Clone();
        var existing = copy.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        foreach (var name in tensors)
        {
            if (!existing.Add(name))
                continue;
            copy.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        }
        return copy.ToByteArray();
    }

    private static void Observe(IRangeObserver observer, Tensor tensor)
    {
        if (tensor.ElementType != TensorElementType.Float)
            throw new InvalidOperationException($"Calibration observes float tensors only; got {tensor.ElementType}.");
        observer.Observe(tensor.AsSpan<float>());
    }
}
