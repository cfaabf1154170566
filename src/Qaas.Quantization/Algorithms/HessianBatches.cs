using Qaas.Onnx.Io;
using Qaas.Quantization.Pipeline;

namespace Qaas.Quantization.Algorithms;

/// <summary>
/// The Hessians (X^T X) of many MatMul inputs within a memory budget: asked for in graph order, it measures the next
/// inputs whose K x K doubles fit the budget in one pass over the calibration samples, and drops the previous batch.
/// A large model thus takes several passes instead of holding every layer's Hessian at once.
/// </summary>
public sealed class HessianBatches(OnnxModel model, IReadOnlyList<(string Input, int K)> inputs, SampleFeed calibration,
    long budgetBytes = HessianBatches.DefaultBudgetBytes, CancellationToken cancellationToken = default)
{
    public const long DefaultBudgetBytes = 1L << 30;

    private IReadOnlyDictionary<string, double[]> _batch = new Dictionary<string, double[]>();

    /// <summary>Passes over the calibration samples so far.</summary>
    public int Passes { get; private set; }

    /// <returns>X^T X of <paramref name="input"/>, or null when it is not one of the inputs this was made for.</returns>
    public double[]? For(string input)
    {
        if (_batch.TryGetValue(input, out var hessian))
            return hessian;
        int first = -1;
        for (int i = 0; i < inputs.Count && first < 0; i++)
            if (inputs[i].Input == input) first = i;
        if (first < 0)
            return null;
        var batch = new List<string>();
        long bytes = 0;
        // At least one input per pass, however large; then as many more as fit.
        for (int i = first; i < inputs.Count; i++)
        {
            long size = 8L * inputs[i].K * inputs[i].K;
            if (batch.Count > 0 && bytes + size > budgetBytes) break;
            if (!batch.Contains(inputs[i].Input)) { batch.Add(inputs[i].Input); bytes += size; }
        }
        _batch = new Dictionary<string, double[]>(); // let the previous batch go before measuring the next
        _batch = InputHessians.Measure(model, batch, calibration, cancellationToken);
        Passes++;
        return _batch.GetValueOrDefault(input);
    }
}
