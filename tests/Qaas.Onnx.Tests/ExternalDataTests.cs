using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Onnx.Summary;

namespace Qaas.Onnx.Tests;

/// <summary>Saving and loading with external data, and refusal of unsafe locations before any byte is read.</summary>
public class ExternalDataTests
{
    [Fact]
    public void PpOcr_with_promoted_constants_round_trips_through_external_data()
    {
        var model = OnnxModel.Load(TestAssets.PpOcrDet);
        var promoted = new GraphEditor(model.Proto).PromoteConstantsToInitializers();
        Assert.True(promoted > 100);
        var expected = model.Graph.Initializer.ToDictionary(t => t.Name, t => TensorBytes.ReadRaw(t));
        var before = model.Proto.Clone();

        using var dir = new TempFolder();
        var path = model.SaveToFolder(dir.Path, new ModelSaveOptions { ExternalData = ExternalDataMode.Always });
        Assert.True(before.Equals(model.Proto)); // saving leaves the in-memory model untouched

        var dataFile = Path.Combine(dir.Path, "model.onnx.data");
        Assert.True(File.Exists(dataFile));
        Assert.True(new FileInfo(path).Length < 200_000); // weights are out of the .onnx

        var loaded = OnnxModel.Load(path);
        var external = loaded.Graph.Initializer.Where(ExternalDataReference.IsExternal).ToList();
        Assert.NotEmpty(external);
        Assert.All(external, t => Assert.Equal(0, loaded.ExternalDataOf(t)!.Offset % 64));
        foreach (var t in loaded.Graph.Initializer)
            Assert.Equal(expected[t.Name], TensorBytes.ReadRaw(t, loaded));
        Assert.Equal(ModelSummary.Of(model).ParameterCount, ModelSummary.Of(loaded).ParameterCount);

        // Inlining it again gives back the promoted model exactly.
        var ms = new MemoryStream();
        loaded.Save(ms);
        Assert.True(before.Equals(OnnxModel.Load(new MemoryStream(ms.ToArray())).Proto));

        // And re-saving an external model into another folder copies tensor by tensor (inside the kernel on Linux),
        // each range landing at its aligned place after the padding.
        using var dir2 = new TempFolder();
        var again = OnnxModel.Load(loaded.SaveToFolder(dir2.Path));
        Assert.Equal(new FileInfo(dataFile).Length, new FileInfo(Path.Combine(dir2.Path, "model.onnx.data")).Length);
        foreach (var t in again.Graph.Initializer)
            Assert.Equal(expected[t.Name], TensorBytes.ReadRaw(t, again));
        Assert.Equal(TensorData.ReadAsFloat(loaded.Graph.Initializer[0], loaded), TensorData.ReadAsFloat(again.Graph.Initializer[0], again));
    }

    [Fact]
    public void Constant_node_values_go_external_too_and_come_back_identical()
    {
        var model = OnnxModel.Load(TestAssets.PpOcrDet);
        var original = model.Proto.Clone();
        using var dir = new TempFolder();
        var loaded = OnnxModel.Load(model.SaveToFolder(dir.Path, new ModelSaveOptions { ExternalData = ExternalDataMode.Always }));
        var weights = ModelWeights.All(loaded.Graph).ToList();
        Assert.Contains(weights, w => ExternalDataReference.IsExternal(w.Tensor));
        Assert.Equal(ModelSummary.Of(model).ParameterCount, ModelSummary.Of(loaded).ParameterCount);
        var ms = new MemoryStream();
        loaded.Save(ms);
        Assert.True(original.Equals(OnnxModel.Load(new MemoryStream(ms.ToArray())).Proto));
    }

    [Fact]
    public void Uploaded_file_set_resolves_external_data_by_relative_name()
    {
        using var dir = new TempFolder();
        var path = OnnxModel.FromProto(ModelBuilder.Mlp()).SaveToFolder(dir.Path,
            new ModelSaveOptions { ExternalData = ExternalDataMode.Always, SizeThreshold = 0 });
        using var upload = new TempFolder();
        // Upload parts land under random names on disk; the set maps their original names.
        var onnx = upload.File("part-1");
        var data = upload.File("part-2");
        File.Copy(path, onnx);
        File.Copy(Path.Combine(dir.Path, "model.onnx.data"), data);
        var model = OnnxModel.Load(new Dictionary<string, string> { ["model.onnx"] = onnx, ["model.onnx.data"] = data });
        var w = model.Graph.Initializer.Single(t => t.Name == "W");
        Assert.Equal(data, model.ExternalDataOf(w)!.Path);
        Assert.Equal(Enumerable.Range(0, 12).Select(i => i * 0.5f), TensorData.Read<float>(w, model));

        var missing = Assert.Throws<OnnxFormatException>(() =>
            OnnxModel.Load(new Dictionary<string, string> { ["model.onnx"] = onnx }));
        Assert.Contains("is not part of the model's file set", missing.Message);
    }

    /// <summary>Writes the MLP with W pointing at <paramref name="location"/> (offset/length as given) and loads it.</summary>
    private static OnnxFormatException LoadWithLocation(TempFolder dir, string location, long offset = 0, long length = 48)
    {
        var m = ModelBuilder.Mlp();
        var w = m.Graph.Initializer[0];
        w.ClearRawData();
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = location });
        w.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString() });
        w.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString() });
        var path = dir.File("model.onnx");
        File.WriteAllBytes(path, m.ToByteArray());
        return Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path));
    }

    [Fact]
    public void Parent_directory_location_is_refused()
    {
        using var dir = new TempFolder();
        var e = LoadWithLocation(dir, "../../etc/passwd");
        Assert.Equal("external data location '../../etc/passwd' of tensor 'W' escapes the model's folder (contains '..' or an invalid character)", e.Message);
    }

    [Fact]
    public void Absolute_location_is_refused()
    {
        using var dir = new TempFolder();
        Assert.Contains("is an absolute path", LoadWithLocation(dir, "/etc/passwd").Message);
        Assert.Contains("is an absolute path", LoadWithLocation(dir, "C:\\windows\\win.ini").Message);
    }

    [Fact]
    public void Symlinked_data_file_and_folder_are_refused()
    {
        using var dir = new TempFolder();
        File.CreateSymbolicLink(dir.File("weights.bin"), "/etc/passwd");
        Assert.Contains("symbolic link", LoadWithLocation(dir, "weights.bin").Message);

        using var outside = new TempFolder();
        File.WriteAllBytes(outside.File("w.bin"), new byte[48]);
        Directory.CreateSymbolicLink(dir.File("sub"), outside.Path);
        Assert.Contains("symbolic link", LoadWithLocation(dir, "sub/w.bin").Message);
    }

    [Fact]
    public void A_model_folder_reached_through_a_link_is_fine()
    {
        using var real = new TempFolder();
        OnnxModel.FromProto(ModelBuilder.Mlp()).SaveToFolder(real.Path,
            new ModelSaveOptions { ExternalData = ExternalDataMode.Always, SizeThreshold = 0 });
        using var links = new TempFolder();
        Directory.CreateSymbolicLink(links.File("current"), real.Path);
        var model = OnnxModel.Load(Path.Combine(links.File("current"), "model.onnx"));
        Assert.Equal(new float[] { 1, 2, 3 }, TensorData.Read<float>(model.Graph.Initializer.Single(t => t.Name == "b"), model));
    }

    [Fact]
    public void Offset_beyond_the_file_is_refused()
    {
        using var dir = new TempFolder();
        File.WriteAllBytes(dir.File("w.bin"), new byte[64]);
        var e = LoadWithLocation(dir, "w.bin", offset: 32);
        Assert.Equal("external data of tensor 'W' (offset 32, length 48) lies beyond the end of 'w.bin' (64 bytes)", e.Message);
        Assert.Contains("has length 40 but its shape and type need 48 bytes", LoadWithLocation(dir, "w.bin", length: 40).Message);
    }

    [Fact]
    public void Missing_file_is_refused()
    {
        using var dir = new TempFolder();
        Assert.Contains("does not exist", LoadWithLocation(dir, "nothere.bin").Message);
    }

    [Fact]
    public void Stream_loaded_model_cannot_reference_external_data()
    {
        var m = ModelBuilder.Mlp();
        var w = m.Graph.Initializer[0];
        w.ClearRawData();
        w.DataLocation = TensorProto.Types.DataLocation.External;
        w.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = "w.bin" });
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(new MemoryStream(m.ToByteArray())));
        Assert.Contains("read from a stream without its files", e.Message);
    }
}
