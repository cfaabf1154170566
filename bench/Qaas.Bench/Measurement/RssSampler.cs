namespace Qaas.Bench.Measurement;

/// <summary>
/// Polls a process's VmRSS on a background thread and keeps the maximum: VmHWM only ever grows,
/// so a peak during one phase needs sampling (or a reset) to be told apart from earlier peaks.
/// </summary>
public sealed class RssSampler : IDisposable
{
    private readonly int _pid;
    private readonly Thread _thread;
    private volatile bool _stop;
    private long _max;

    public RssSampler(int pid, TimeSpan? interval = null)
    {
        _pid = pid;
        Baseline = ProcessMemory.Rss(pid) ?? 0;
        _max = Baseline;
        var sleep = interval ?? TimeSpan.FromMilliseconds(10);
        _thread = new Thread(() =>
        {
            while (!_stop)
            {
                if (ProcessMemory.Rss(_pid) is { } rss && rss > Interlocked.Read(ref _max)) Interlocked.Exchange(ref _max, rss);
                Thread.Sleep(sleep);
            }
        }) { IsBackground = true, Name = "rss-sampler" };
        _thread.Start();
    }

    public long Baseline { get; }

    public long Max => Interlocked.Read(ref _max);

    public long Growth => Max - Baseline;

    public void Dispose()
    {
        _stop = true;
        _thread.Join();
    }
}
