using System.IO.Compression;
using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Summary;
using Qaas.Quantization.Datasets;
using Qaas.Quantization.Pipeline;

namespace Qaas.Quantization.Tests.Datasets;

public class DatasetFilesTests
{
    [Fact]
    public void Npz_samples_stream_in_order_with_labels()
    {
        using var dir = new TempFolder();
        var x = Enumerable.Range(0, 3 * 2 * 4).Select(i => (float)i).ToArray();
        File.WriteAllBytes(dir.File("d.npz"), NpzWriter.Write(("x", x, [3, 2, 4]), ("labels", new long[] { 7, 8, 9 }, [3])));
        using var d = DatasetFiles.Open(dir.File("d.npz"));
        Assert.Equal(new DatasetDescription("npz", 3, [new DatasetArray("x", [3, 2, 4], "float32")], true), d.Description with { Arrays = [.. d.Description.Arrays] }, new DescriptionComparer());
        var samples = d.ReadSamples().ToList();
        Assert.Equal(3, samples.Count);
        Assert.Equal([2L, 4L], samples[2]["x"].Shape);
        Assert.Equal(16f, BitConverter.ToSingle(samples[2]["x"].Data, 0));
        Assert.Equal([7L, 8L, 9L], d.ReadLabels());
    }

    [Fact]
    public void Arrays_that_disagree_on_samples_are_refused_naming_them()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("d.npz"), NpzWriter.Write(("a", new float[6], [3, 2]), ("b", new float[4], [2, 2])));
        var e = Assert.Throws<DatasetFormatException>(() => DatasetFiles.Open(dir.File("d.npz")));
        Assert.Contains("'b'", e.Message);
    }

    [Fact]
    public void Garbage_and_truncated_archives_are_refused()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("g.bin"), "not a dataset"u8.ToArray());
        Assert.Throws<DatasetFormatException>(() => DatasetFiles.Open(dir.File("g.bin")));
        var npz = NpzWriter.Write(("x", new float[64], [4, 16]));
        File.WriteAllBytes(dir.File("t.npz"), npz[..(npz.Length / 2)]);
        Assert.Throws<DatasetFormatException>(() => DatasetFiles.Open(dir.File("t.npz")));
    }

    [Fact]
    public void Onnx_test_data_zip_is_read_by_tensor_name_and_fed_with_a_batch_axis()
    {
        using var dir = new TempFolder();
        using (var zip = new ZipArchive(File.Create(dir.File("d.zip")), ZipArchiveMode.Create))
            for (var n = 0; n < 2; n++)
            {
                using var s = zip.CreateEntry($"test_data_set_{n}/input_0.pb").Open();
                TensorData.Create<float>("x", [n, n + 1, n + 2], [3]).WriteTo(s);
            }
        using (var d = DatasetFiles.Open(dir.File("d.zip")))
        {
            Assert.Equal("onnx-test-data", d.Description.Format);
            Assert.Equal(2, d.Description.Samples);
            Assert.Equal([2L, 3L], d.Description.Arrays.Single().Shape);
        }

        // The model input has rank 2: a leading batch axis of 1 is added to each [3] sample.
        var feed = DatasetFeed.From(() => DatasetFiles.Open(dir.File("d.zip")), [new TensorSpec("x", "float32", [1L, 3L])]);
        var second = feed.Samples().Last()["x"];
        Assert.Equal([1L, 3L], second.Shape.ToArray());
        Assert.Equal([1f, 2f, 3f], second.ToArray<float>());
    }

    [Fact]
    public void Onnx_test_data_whose_tensors_do_not_add_up_is_refused_at_open()
    {
        using var dir = new TempFolder();
        string Zip(string file, params (string Entry, Qaas.Onnx.Proto.TensorProto Tensor)[] entries)
        {
            using (var zip = new ZipArchive(File.Create(dir.File(file)), ZipArchiveMode.Create))
                foreach (var (entry, tensor) in entries)
                {
                    using var s = zip.CreateEntry(entry).Open();
                    tensor.WriteTo(s);
                }
            return dir.File(file);
        }
        Qaas.Onnx.Proto.TensorProto WithDims(long[] dims)
        {
            var t = TensorData.Create<float>("x", [1, 2, 3, 4], [4]);
            t.Dims.Clear();
            t.Dims.AddRange(dims);
            return t;
        }
        var cases = new (string Path, string Reason)[]
        {
            (Zip("huge.zip", ("test_data_set_0/input_0.pb", WithDims([10_000_000_000, 10_000_000_000]))), "more than a file can hold"),
            (Zip("negative.zip", ("test_data_set_0/input_0.pb", WithDims([-1, 4]))), "negative dimension"),
            (Zip("short.zip", ("test_data_set_0/input_0.pb", WithDims([2, 4]))), "needs 32"),
            (Zip("ragged.zip", ("test_data_set_0/input_0.pb", TensorData.Create<float>("x", [1, 2, 3, 4], [4])),
                ("test_data_set_1/input_0.pb", TensorData.Create<float>("x", [1, 2], [2]))), "same shapes"),
            (Zip("escape.zip", ("../test_data_set_0/input_0.pb", TensorData.Create<float>("x", [1], [1]))), "relative"),
        };
        foreach (var (path, reason) in cases)
        {
            var e = Assert.Throws<DatasetFormatException>(() => DatasetFiles.Open(path).Dispose());
            Assert.Contains(reason, e.Message);
        }
    }

    [Fact]
    public void Npz_shape_too_large_for_any_file_is_refused()
    {
        using var dir = new TempFolder();
        // The header claims 2^62 x 4 floats over 16 data bytes: the byte count overflows a long.
        File.WriteAllBytes(dir.File("o.npz"), NpzWriter.Write(("x", new float[4], [4611686018427387904, 4])));
        var e = Assert.Throws<DatasetFormatException>(() => DatasetFiles.Open(dir.File("o.npz")).Dispose());
        Assert.Contains("more bytes than a file can", e.Message);
    }

    sealed class DescriptionComparer : IEqualityComparer<DatasetDescription>
    {
        public bool Equals(DatasetDescription? a, DatasetDescription? b) =>
            a!.Format == b!.Format && a.Samples == b.Samples && a.HasLabels == b.HasLabels
            && a.Arrays.Zip(b.Arrays).All(p => p.First.Name == p.Second.Name && p.First.DType == p.Second.DType && p.First.Shape.SequenceEqual(p.Second.Shape));
        public int GetHashCode(DatasetDescription d) => d.Samples;
    }
}
