namespace Qaas.Quantization.Datasets;

/// <summary>An uploaded dataset that cannot be read; the message names the array or file and the problem.</summary>
public sealed class DatasetFormatException(string message) : Exception(message);
