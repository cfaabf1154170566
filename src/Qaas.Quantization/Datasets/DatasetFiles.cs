using System.IO.Compression;

namespace Qaas.Quantization.Datasets;

/// <summary>Opens an uploaded dataset file, telling its format from its content (.npz or a zip of ONNX test data).</summary>
public static class DatasetFiles
{
    public static ICalibrationDataset Open(string path)
    {
        bool testData;
        using (var zip = OpenZip(path))
            testData = OnnxTestDataDataset.LooksLike(zip);
        return testData ? OnnxTestDataDataset.Open(path) : NpzDataset.Open(path);
    }

    public static DatasetDescription Describe(string path)
    {
        using var dataset = Open(path);
        return dataset.Description;
    }

    internal static ZipArchive OpenZip(string path)
    {
        var stream = File.OpenRead(path);
        try { return new ZipArchive(stream, ZipArchiveMode.Read); }
        catch (InvalidDataException)
        {
            stream.Dispose();
            throw new DatasetFormatException("not a dataset: expected a .npz archive or a .zip of ONNX test data (test_data_set_N/input_K.pb)");
        }
    }
}
