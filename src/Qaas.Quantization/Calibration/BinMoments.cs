namespace Qaas.Quantization.Calibration;

/// <summary>
/// Running sums of a histogram's mass, first and second moments (by bin centre), so that the mass and squared
/// distance of the bins below or above any bound cost two lookups instead of a pass over the bins: a range search
/// that tries hundreds of candidates then reads the histogram once.
/// </summary>
internal sealed class BinMoments
{
    private readonly double[] _centers;
    // Element i sums bins [0, i): one more than the bin count.
    private readonly double[] _mass, _first, _second;

    public BinMoments(Histogram histogram)
    {
        var counts = histogram.Counts;
        int bins = counts.Length;
        _centers = new double[bins];
        _mass = new double[bins + 1];
        _first = new double[bins + 1];
        _second = new double[bins + 1];
        for (int i = 0; i < bins; i++)
        {
            double x = histogram.BinCenter(i), h = counts[i];
            _centers[i] = x;
            _mass[i + 1] = _mass[i] + h;
            _first[i + 1] = _first[i] + h * x;
            _second[i + 1] = _second[i] + h * x * x;
        }
    }

    /// <summary>Bins whose centre lies below <paramref name="bound"/> (or at it, when <paramref name="inclusive"/>).</summary>
    public int CountBelow(double bound, bool inclusive = false)
    {
        int lo = 0, hi = _centers.Length;
        while (lo < hi)
        {
            int mid = (lo + hi) >>> 1;
            if (_centers[mid] < bound || inclusive && _centers[mid] == bound) lo = mid + 1;
            else hi = mid;
        }
        return lo;
    }

    /// <summary>Mass of bins [from, to).</summary>
    public double Mass(int from, int to) => _mass[to] - _mass[from];

    /// <summary>Sum over bins [from, to) of mass * (centre - c)^2.</summary>
    public double SquaredDistance(int from, int to, double c)
    {
        if (to <= from)
            return 0;
        double mass = _mass[to] - _mass[from], first = _first[to] - _first[from], second = _second[to] - _second[from];
        // Expanded (x - c)^2; rounding can leave a tiny negative where every centre equals c.
        return Math.Max(0, second - 2 * c * first + c * c * mass);
    }
}
