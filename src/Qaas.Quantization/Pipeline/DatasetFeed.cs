using Qaas.Onnx.Summary;
using Qaas.Quantization.Datasets;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Pipeline;

/// <summary>
/// Turns dataset samples into model feeds: arrays matched to inputs by name, else by position, and a leading batch
/// axis of 1 added when the input has one more dimension than the sample (DESIGN.md, datasets).
/// </summary>
public static class DatasetFeed
{
    public static SampleFeed From(Func<ICalibrationDataset> open, IReadOnlyList<TensorSpec> inputs, int skip = 0, int? take = null)
    {
        using var probe = open();
        var description = probe.Description;
        var mapping = MapArrays(description, inputs);
        var count = Math.Max(0, Math.Min(take ?? int.MaxValue, description.Samples - skip));
        return new SampleFeed(() => Read(open, mapping, inputs, skip, count), count, synthetic: false);
    }

    static IEnumerable<IReadOnlyDictionary<string, Tensor>> Read(
        Func<ICalibrationDataset> open, string[] arrayOf, IReadOnlyList<TensorSpec> inputs, int skip, int count)
    {
        using var dataset = open();
        foreach (var sample in dataset.ReadSamples().Skip(skip).Take(count))
        {
            var feed = new Dictionary<string, Tensor>(inputs.Count, StringComparer.Ordinal);
            for (var i = 0; i < inputs.Count; i++)
            {
                var t = sample[arrayOf[i]];
                var rank = inputs[i].Shape?.Count;
                long[] shape = rank == t.Shape.Length + 1 ? [1, .. t.Shape] : t.Shape;
                feed[inputs[i].Name] = Tensor.FromBytes((TensorElementType)(int)t.Type, t.Data, shape);
            }
            yield return feed;
        }
    }

    static string[] MapArrays(DatasetDescription d, IReadOnlyList<TensorSpec> inputs)
    {
        var names = new string[inputs.Count];
        for (var k = 0; k < inputs.Count; k++)
        {
            var a = d.Arrays.FirstOrDefault(a => a.Name == inputs[k].Name)
                ?? d.Arrays.FirstOrDefault(a => a.Position == k || a.Name == $"input_{k}")
                ?? throw new DatasetFormatException($"the dataset has no array for model input '{inputs[k].Name}' (arrays: {string.Join(", ", d.Arrays.Select(x => x.Name))})");
            names[k] = a.Name;
        }
        return names;
    }
}
