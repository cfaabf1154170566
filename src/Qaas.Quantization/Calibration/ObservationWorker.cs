namespace Qaas.Quantization.Calibration;

/// <summary>
/// The thread that observes captured samples beside inference: it helps with the latest posted sample and then
/// blocks until the next one. A pool thread would spin for more work after each item, which on a machine with no
/// free core takes CPU from the inference it is meant to hide behind.
/// </summary>
internal sealed class ObservationWorker : IDisposable
{
    private readonly AutoResetEvent _posted = new(false);
    private readonly Thread _thread;
    private CapturedSampleObservation? _latest;
    private volatile bool _stopping;
    private bool _disposed;

    public ObservationWorker()
    {
        _thread = new Thread(Loop) { IsBackground = true, Name = "Calibration observers" };
        _thread.Start();
    }

    /// <summary>Hands a sample over; one the worker has not picked up yet is left to its owner's Complete.</summary>
    public void Post(CapturedSampleObservation observation)
    {
        Volatile.Write(ref _latest, observation);
        _posted.Set();
    }

    private void Loop()
    {
        while (true)
        {
            _posted.WaitOne();
            if (_stopping)
                return;
            Interlocked.Exchange(ref _latest, null)?.Help();
        }
    }

    /// <summary>Stops the thread once it has left the sample it is helping with.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        _disposed = true;
        _stopping = true;
        _posted.Set();
        _thread.Join();
        _posted.Dispose();
    }
}
