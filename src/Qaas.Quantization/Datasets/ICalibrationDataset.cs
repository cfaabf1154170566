namespace Qaas.Quantization.Datasets;

/// <summary>A dataset read sample by sample, so memory does not grow with the number of samples.</summary>
public interface ICalibrationDataset : IDisposable
{
    DatasetDescription Description { get; }

    /// <summary>Samples in order; each maps an array name to that sample's tensor. Labels are not included.</summary>
    IEnumerable<IReadOnlyDictionary<string, SampleTensor>> ReadSamples();

    /// <summary>Integer class labels per sample, when the dataset has a 'labels' array.</summary>
    long[]? ReadLabels();
}
