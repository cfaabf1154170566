using System.IO.Compression;
using System.Text;
using System.Text.RegularExpressions;

namespace Qaas.Api.Datasets;

/// <summary>
/// TEMPORARY stand-in until the real npz/TensorProto readers are wired in: reads .npy headers inside an .npz
/// (name, dtype, shape) and, for a TensorProto zip, counts test_data_set_N folders and input_K files (shapes unknown).
/// </summary>
public sealed partial class TemporaryDatasetReader : IDatasetReader
{
    public Task<DatasetDescription> DescribeAsync(string path, CancellationToken ct)
    {
        ZipArchive zip;
        try { zip = ZipFile.OpenRead(path); }
        catch (InvalidDataException e) { throw new DatasetFormatException("Not a dataset: expected an .npz or a .zip of TensorProto files.", e); }
        using (zip)
        {
            var npy = zip.Entries.Where(e => e.FullName.EndsWith(".npy", StringComparison.Ordinal)).ToList();
            if (npy.Count > 0) return Task.FromResult(DescribeNpz(npy));
            var pb = zip.Entries.Select(e => TestDataFile().Match(e.FullName)).Where(m => m.Success).ToList();
            if (pb.Count > 0)
            {
                var samples = pb.Select(m => m.Groups[1].Value).Distinct().Count();
                var arrays = pb.Select(m => "input_" + m.Groups[2].Value).Distinct().Order()
                    .Select(n => new DatasetArray(n, [samples], "unknown")).ToList();
                return Task.FromResult(new DatasetDescription("onnx-test-data", samples, arrays));
            }
            throw new DatasetFormatException("The archive holds neither .npy arrays nor test_data_set_N/input_K.pb files.");
        }
    }

    private static DatasetDescription DescribeNpz(List<ZipArchiveEntry> entries)
    {
        var arrays = new List<DatasetArray>();
        foreach (var entry in entries)
        {
            using var s = entry.Open();
            var header = new byte[10];
            s.ReadExactly(header);
            if (header[0] != 0x93 || Encoding.ASCII.GetString(header, 1, 5) != "NUMPY")
                throw new DatasetFormatException($"{entry.FullName} is not an .npy array.");
            int len = header[6] == 1 ? BitConverter.ToUInt16(header, 8) : ReadUInt32Rest(s, header);
            var dict = new byte[len];
            s.ReadExactly(dict);
            var text = Encoding.Latin1.GetString(dict);
            var descr = Descr().Match(text);
            var shape = Shape().Match(text);
            if (!descr.Success || !shape.Success) throw new DatasetFormatException($"{entry.FullName}: unreadable .npy header.");
            var dims = shape.Groups[1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Select(long.Parse).ToList();
            arrays.Add(new DatasetArray(entry.FullName[..^4], dims, descr.Groups[1].Value.TrimStart('<', '>', '|', '=')));
        }
        var samples = arrays.Where(a => a.Name != "labels" && a.Shape.Count > 0).Select(a => (int)a.Shape[0]).DefaultIfEmpty(0).Min();
        return new DatasetDescription("npz", samples, arrays);
    }

    private static int ReadUInt32Rest(Stream s, byte[] header)
    {
        var two = new byte[2];
        s.ReadExactly(two);
        return BitConverter.ToInt32([header[8], header[9], two[0], two[1]]);
    }

    [GeneratedRegex(@"test_data_set_(\d+)/input_(\d+)\.pb$")] private static partial Regex TestDataFile();
    [GeneratedRegex(@"'descr':\s*'([^']*)'")] private static partial Regex Descr();
    [GeneratedRegex(@"'shape':\s*\(([^)]*)\)")] private static partial Regex Shape();
}
