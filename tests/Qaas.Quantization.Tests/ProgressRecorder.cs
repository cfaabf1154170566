namespace Qaas.Quantization.Tests;

/// <summary>Collects progress reports as they are made (Progress&lt;T&gt; would post them to the thread pool, out of order).</summary>
internal sealed class ProgressRecorder(List<double> values) : IProgress<double>
{
    public void Report(double value) => values.Add(value);
}
