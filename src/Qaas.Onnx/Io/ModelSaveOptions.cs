namespace Qaas.Onnx.Io;

public enum ExternalDataMode
{
    /// <summary>External data when the model already had some, or when one file would pass protobuf's 2 GiB limit.</summary>
    Auto,
    /// <summary>Always move initializers of at least <see cref="ModelSaveOptions.SizeThreshold"/> bytes out.</summary>
    Always,
    /// <summary>Everything inline (fails above 2 GiB).</summary>
    Never,
}

public sealed record ModelSaveOptions
{
    public ExternalDataMode ExternalData { get; init; } = ExternalDataMode.Auto;
    public string FileName { get; init; } = "model.onnx";
    public string DataFileName { get; init; } = "model.onnx.data";
    /// <summary>Initializers smaller than this stay inline when saving with external data.</summary>
    public long SizeThreshold { get; init; } = 1024;
    /// <summary>Offsets in the data file are multiples of this (ORT can memory-map aligned tensors).</summary>
    public int Alignment { get; init; } = 64;
}
