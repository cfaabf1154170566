using System.IO.Compression;
using System.Text.Json;
using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Onnx.Summary;

namespace Qaas.Onnx.Tests;

/// <summary>
/// <see cref="OnnxModel.LoadStructure(string, bool)"/>: the model without its inline payloads gives the same summary
/// and the same validation errors as a full load, and a payload of hundreds of MiB is never held.
/// </summary>
public class StructureLoadTests
{
    private static string Json(ModelSummary s) => JsonSerializer.Serialize(s);

    /// <summary>The full model with every inline raw_data emptied: what the structure load must equal.</summary>
    private static ModelProto WithoutPayloads(ModelProto full)
    {
        var m = full.Clone();
        foreach (var t in OnnxModel.AllTensors(m))
            if (t.HasRawData) t.RawData = ByteString.Empty;
        return m;
    }

    private static void AssertSameAsFullLoad(string path)
    {
        var full = OnnxModel.Load(path);
        var structure = OnnxModel.LoadStructure(path);
        Assert.True(structure.IsStructureOnly);
        Assert.False(full.IsStructureOnly);
        Assert.Equal(Json(ModelSummary.Of(full)), Json(ModelSummary.Of(structure)));
        Assert.Equal(Json(ModelSummary.Of(full)), Json(ModelSummary.OfFile(path)));
        Assert.True(WithoutPayloads(full.Proto).Equals(structure.Proto), "structure differs from the full model beyond raw_data");
        var fullTensors = OnnxModel.AllTensors(full.Proto).ToList();
        var structureTensors = OnnxModel.AllTensors(structure.Proto).ToList();
        Assert.Equal(fullTensors.Count, structureTensors.Count);
        for (var i = 0; i < fullTensors.Count; i++)
            Assert.Equal(full.RawLength(fullTensors[i]), structure.RawLength(structureTensors[i]));
    }

    [Fact]
    public void Every_test_data_model_has_the_same_structure_summary_and_raw_lengths()
    {
        var failures = new List<string>();
        var compared = 0;
        foreach (var path in Directory.EnumerateFiles(TestAssets.OnnxTestData, "model.onnx", SearchOption.AllDirectories).Order(StringComparer.Ordinal))
        {
            try
            {
                AssertSameAsFullLoad(path);
                compared++;
            }
            catch (Exception e)
            {
                failures.Add($"{Path.GetRelativePath(TestAssets.OnnxTestData, path)}: {e.Message}");
            }
        }
        Assert.True(failures.Count == 0, $"{failures.Count} failed:\n" + string.Join("\n", failures));
        Assert.True(compared > 900, $"only {compared} models compared");
    }

    [Theory]
    [MemberData(nameof(RealModelsTests.RealModels), MemberType = typeof(RealModelsTests))]
    public void Real_models_have_the_same_structure_summary_and_raw_lengths(string relative) =>
        AssertSameAsFullLoad(TestAssets.Model(relative.Split('/')));

    [Fact]
    public void Models_with_external_data_keep_their_external_checks()
    {
        var model = OnnxModel.Load(TestAssets.PpOcrCls);
        new GraphEditor(model.Proto).PromoteConstantsToInitializers();
        using var dir = new TempFolder();
        var path = model.SaveToFolder(dir.Path, new ModelSaveOptions { ExternalData = ExternalDataMode.Always });
        AssertSameAsFullLoad(path);
        var structure = OnnxModel.LoadStructure(path);
        Assert.Contains(structure.Graph.Initializer, t => structure.ExternalDataOf(t) is not null);

        // An external location outside the folder is refused the same way.
        var proto = OnnxModel.Load(path).Proto;
        var external = proto.Graph.Initializer.First(ExternalDataReference.IsExternal);
        external.ExternalData.First(e => e.Key == "location").Value = "../elsewhere.bin";
        var bad = Path.Combine(dir.Path, "bad.onnx");
        File.WriteAllBytes(bad, proto.ToByteArray());
        Assert.Equal(FullLoadError(bad), Assert.Throws<OnnxFormatException>(() => OnnxModel.LoadStructure(bad)).Message);
    }

    private static string FullLoadError(string path) => Assert.Throws<OnnxFormatException>(() => OnnxModel.Load(path)).Message;

    /// <summary>Writes the model to a file and checks both load paths refuse it with the same message.</summary>
    private static string RejectsLikeFullLoad(ModelProto m)
    {
        using var dir = new TempFolder();
        var path = dir.File("model.onnx");
        File.WriteAllBytes(path, m.ToByteArray());
        var expected = FullLoadError(path);
        Assert.Equal(expected, Assert.Throws<OnnxFormatException>(() => OnnxModel.LoadStructure(path)).Message);
        return expected;
    }

    public static TheoryData<string> BrokenModels => new()
    {
        "cycle", "dangling", "duplicate-output", "duplicate-graph-output", "duplicate-node", "duplicate-initializer",
        "absurd-dim", "ir-99", "raw-7-bytes", "constant-raw-size", "subgraph-undefined", "subgraph-constant-raw-size", "no-graph",
    };

    [Theory]
    [MemberData(nameof(BrokenModels))]
    public void Bad_models_are_refused_with_the_full_load_message(string kind)
    {
        var m = ModelBuilder.Mlp();
        switch (kind)
        {
            case "cycle": m.Graph.Node[0].Input[0] = "y"; m.Graph.Input.Clear(); break;
            case "dangling": m.Graph.Node[1].Input[1] = "bias_nobody_makes"; break;
            case "duplicate-output": m.Graph.Node[2].Output[0] = "z"; break;
            case "duplicate-graph-output": m.Graph.Output.Add(m.Graph.Output[0].Clone()); break;
            case "duplicate-node": m.Graph.Node[1].Name = "mm"; break;
            case "duplicate-initializer": m.Graph.Initializer.Add(m.Graph.Initializer[0].Clone()); break;
            case "absurd-dim": m.Graph.Input[0].Type.TensorType.Shape.Dim[1].DimValue = 1_000_000_000_000; break;
            case "ir-99": m.IrVersion = 99; break;
            case "raw-7-bytes": m.Graph.Initializer[0].RawData = ByteString.CopyFrom(new byte[7]); break;
            case "constant-raw-size": m.Graph.Node.Insert(0, ConstantWithWrongRawSize()); break;
            case "subgraph-undefined": m.Graph.Node.Add(IfNode(m, "nowhere", null)); break;
            case "subgraph-constant-raw-size": m.Graph.Node.Add(IfNode(m, "x", ConstantWithWrongRawSize())); break;
            case "no-graph": m.Graph = null; break;
        }
        var message = RejectsLikeFullLoad(m);
        if (kind.EndsWith("raw-size") || kind == "raw-7-bytes") Assert.Contains("bytes of raw_data", message);
    }

    private static NodeProto ConstantWithWrongRawSize()
    {
        var c = ModelBuilder.Node("Constant", "c", [], ["c_out"]);
        var t = new TensorProto { Name = "c_value", DataType = (int)TensorProto.Types.DataType.Float, Dims = { 5 }, RawData = ByteString.CopyFrom(new byte[12]) };
        c.Attribute.Add(Attributes.Tensor("value", t));
        return c;
    }

    private static NodeProto IfNode(ModelProto m, string innerInput, NodeProto? extra)
    {
        var branch = new GraphProto { Name = "then" };
        if (extra is not null) branch.Node.Add(extra);
        branch.Node.Add(ModelBuilder.Node("Identity", "inner", [innerInput], ["t_out"]));
        branch.Output.Add(ModelBuilder.Tensor("t_out", 1, "batch", 4));
        var ifNode = ModelBuilder.Node("If", "if", ["cond"], ["if_out"]);
        ifNode.Attribute.Add(Attributes.Graph("then_branch", branch));
        ifNode.Attribute.Add(Attributes.Graph("else_branch", branch.Clone()));
        m.Graph.Input.Add(ModelBuilder.Tensor("cond", (int)TensorProto.Types.DataType.Bool));
        return ifNode;
    }

    [Fact]
    public void Random_bytes_and_empty_input_are_refused()
    {
        var rng = new Random(1234);
        for (var i = 0; i < 200; i++)
        {
            var bytes = new byte[rng.Next(1, 4096)];
            rng.NextBytes(bytes);
            var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.LoadStructure(new MemoryStream(bytes)));
            Assert.Contains("ONNX", e.Message, StringComparison.OrdinalIgnoreCase);
        }
        var empty = Assert.Throws<OnnxFormatException>(() => OnnxModel.LoadStructure(new MemoryStream()));
        Assert.Contains("no graph", empty.Message);
    }

    [Theory]
    [InlineData(0.1)]
    [InlineData(0.5)]
    [InlineData(0.9)]
    [InlineData(0.9999)]
    public void Truncated_PpOcr_is_reported_as_truncated_from_a_file_and_from_a_non_seekable_stream(double keep)
    {
        var bytes = File.ReadAllBytes(TestAssets.PpOcrDet);
        var cut = bytes[..(int)(bytes.Length * keep)];
        using var dir = new TempFolder();
        var path = dir.File("cut.onnx");
        File.WriteAllBytes(path, cut);
        Assert.Contains("truncated", FullLoadError(path));
        var fromFile = Assert.Throws<OnnxFormatException>(() => OnnxModel.LoadStructure(path));
        Assert.Contains("truncated", fromFile.Message);
        Assert.Contains("protobuf parse failed at byte", fromFile.Message);

        using var gz = new GZipStream(new MemoryStream(Gzip(cut)), CompressionMode.Decompress); // cannot seek
        Assert.Contains("truncated", Assert.Throws<OnnxFormatException>(() => OnnxModel.LoadStructure(gz)).Message);
    }

    [Fact]
    public void Non_seekable_stream_gives_the_same_structure()
    {
        var bytes = File.ReadAllBytes(TestAssets.PpOcrDet);
        using var gz = new GZipStream(new MemoryStream(Gzip(bytes)), CompressionMode.Decompress);
        var structure = OnnxModel.LoadStructure(gz);
        var full = OnnxModel.Load(new MemoryStream(bytes));
        Assert.True(WithoutPayloads(full.Proto).Equals(structure.Proto));
        Assert.Equal(Json(ModelSummary.Of(full)), Json(ModelSummary.Of(structure)));
    }

    private static byte[] Gzip(byte[] bytes)
    {
        var ms = new MemoryStream();
        using (var gz = new GZipStream(ms, CompressionLevel.Fastest, leaveOpen: true)) gz.Write(bytes);
        return ms.ToArray();
    }

    [Fact]
    public void Structure_only_model_refuses_to_read_or_save_payloads()
    {
        var structure = OnnxModel.LoadStructure(TestAssets.PpOcrCls);
        var weight = Graph.ModelWeights.All(structure.Graph).First().Tensor;
        Assert.True(weight.HasRawData);
        Assert.Equal(0, weight.RawData.Length);
        Assert.True(structure.RawLength(weight) > 0);
        Assert.Throws<InvalidOperationException>(() => structure.OpenTensorData(weight));
        Assert.Throws<InvalidOperationException>(() => structure.Save(new MemoryStream()));
        using var dir = new TempFolder();
        Assert.Throws<InvalidOperationException>(() => structure.SaveToFolder(dir.Path));
    }

    [Fact]
    public void A_256_MiB_inline_initializer_is_never_held()
    {
        const long floats = 64L << 20; // 256 MiB of float32
        using var dir = new TempFolder();
        var path = dir.File("large.onnx");
        LargeInlineModelFile.Write(path, floats);

        // Everything the load allocates is counted (the load runs on this thread), so managed growth is at most this.
        var before = GC.GetAllocatedBytesForCurrentThread();
        var model = OnnxModel.LoadStructure(path);
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        Assert.True(allocated < 64L << 20, $"structure load of a 256 MiB model allocated {allocated / (1 << 20)} MiB");

        var w = Assert.Single(model.Graph.Initializer);
        Assert.Equal(floats * sizeof(float), model.RawLength(w));
        Assert.Equal(floats, ModelSummary.Of(model).ParameterCount);
        Assert.Equal(floats, ModelSummary.OfFile(path).ParameterCount);

        // Cut inside the payload: still reported as truncated although the payload was never read.
        using (var f = new FileStream(path, FileMode.Open, FileAccess.Write)) f.SetLength(f.Length - 1);
        var e = Assert.Throws<OnnxFormatException>(() => OnnxModel.LoadStructure(path));
        Assert.Contains("truncated", e.Message);
    }

    [Fact]
    public void Inline_payload_not_matching_its_shape_is_refused_like_the_full_load()
    {
        using var dir = new TempFolder();
        var path = dir.File("mismatch.onnx");
        LargeInlineModelFile.Write(path, floatCount: 1 << 20, rawBytes: (4 << 20) + 4);
        var message = Assert.Throws<OnnxFormatException>(() => OnnxModel.LoadStructure(path)).Message;
        Assert.Equal(FullLoadError(path), message);
        Assert.Contains("initializer 'W' has 4194308 bytes of raw_data", message);
    }
}
