using System.Runtime.ExceptionServices;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Calibration;

/// <summary>
/// Folding one sample's captured tensors into their observers, tensor by tensor, by whichever thread claims a tensor
/// first: a worker starts as soon as the sample is captured, and the calibration thread, once it has run the next
/// sample, takes over whatever the worker has not reached. With a free core the worker has finished by then; on a
/// busy machine, where the worker may not even have been scheduled, the calibration thread does the rest itself
/// instead of waiting for it. Each observer is touched by one thread at a time.
/// </summary>
internal sealed class CapturedSampleObservation
{
    private readonly OutputCapture _capture;
    private readonly IReadOnlyList<IRangeObserver> _observers;
    private int _next = -1; // last claimed index
    private int _finished; // claims done with (observed, failed or dropped)
    private int _stopped;
    private ExceptionDispatchInfo? _error;

    /// <param name="observers">The observer of each captured output, in the capture's order.</param>
    public CapturedSampleObservation(OutputCapture capture, IReadOnlyList<IRangeObserver> observers)
    {
        if (capture.Count != observers.Count)
            throw new ArgumentException($"{observers.Count} observers for {capture.Count} captured outputs.", nameof(observers));
        _capture = capture;
        _observers = observers;
    }

    /// <summary>Observes unclaimed tensors until none is left (or <see cref="Abandon"/>); safe from several threads.</summary>
    public void Help()
    {
        int i;
        while ((i = Interlocked.Increment(ref _next)) < _observers.Count)
        {
            try
            {
                // Checked after the claim: Abandon either sees this claim and waits for it, or set the flag first.
                if (Volatile.Read(ref _stopped) != 0)
                    return;
                Observe(_observers[i], _capture[i]);
            }
            catch (Exception e)
            {
                Interlocked.CompareExchange(ref _error, ExceptionDispatchInfo.Capture(e), null);
            }
            finally
            {
                Interlocked.Increment(ref _finished);
            }
        }
    }

    /// <summary>Observes what is left, waits for tensors another thread is still reading, and rethrows its failure.</summary>
    public void Complete()
    {
        Help();
        WaitForClaimed();
        _error?.Throw();
    }

    /// <summary>Stops further reading and waits for tensors being read now; the capture may be freed afterwards.</summary>
    public void Abandon()
    {
        Interlocked.Exchange(ref _stopped, 1);
        WaitForClaimed();
    }

    private void WaitForClaimed()
    {
        // A claimed tensor takes microseconds to finish; never Sleep(1), which would cost a millisecond.
        var spin = new SpinWait();
        while (Volatile.Read(ref _finished) < Math.Min(Volatile.Read(ref _next) + 1, _observers.Count))
            spin.SpinOnce(sleep1Threshold: -1);
    }

    private static void Observe(IRangeObserver observer, CapturedTensor tensor)
    {
        if (tensor.ElementType != TensorElementType.Float)
            throw new InvalidOperationException($"Calibration observes float tensors only; '{tensor.Name}' is {tensor.ElementType}.");
        observer.Observe(tensor.AsSpan<float>());
    }
}
