namespace Qaas.Api.Datasets;

/// <summary>The uploaded bytes are not a dataset this service reads (answered with 400 and this message).</summary>
public sealed class DatasetFormatException(string message, Exception? inner = null) : Exception(message, inner);
