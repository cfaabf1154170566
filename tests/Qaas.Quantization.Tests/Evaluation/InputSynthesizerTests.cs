using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Quantization.Evaluation;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests.Evaluation;

public class InputSynthesizerTests
{
    [Fact]
    public void Image_input_gets_uniform_values_and_is_reproducible()
    {
        using var session = InferenceSession.Create(File.ReadAllBytes(RepositoryPaths.PpOcrCls));
        var shapes = new Dictionary<string, long[]> { ["x"] = [1, 3, 48, 192] };
        var feed = InputSynthesizer.FromSession(session, samples: 2, seed: 5, shapes);

        Assert.True(feed.Synthetic);
        Assert.Equal(2, feed.Count);
        var first = feed.Samples().ToList();
        var again = feed.Samples().ToList();
        Assert.Equal(2, first.Count);
        var x = first[0]["x"];
        Assert.Equal([1L, 3, 48, 192], x.Shape);
        var values = x.AsSpan<float>().ToArray();
        Assert.All(values, v => Assert.InRange(v, 0f, 1f));
        Assert.InRange(values.Average(), 0.45, 0.55);
        Assert.Equal(values, again[0]["x"].AsSpan<float>().ToArray());
        Assert.NotEqual(values, first[1]["x"].AsSpan<float>().ToArray());
        Assert.NotEqual(values, InputSynthesizer.FromSession(session, 1, seed: 6, shapes).Samples().Single()["x"].AsSpan<float>().ToArray());

        // The feed runs.
        Assert.Equal([1L, 2], session.Run(first[0]).Values.Single().Shape);
    }

    [Fact]
    public void Symbolic_dimensions_come_from_input_shapes_and_token_ids_from_the_embedding_table()
    {
        var options = TransformerOptions.Small;
        var model = TransformerModelBuilder.Build(options);
        var inputs = SynthesisInputs.Of(model);
        Assert.Equal(options.Vocab, Assert.Single(inputs).Vocabulary);

        var feed = InputSynthesizer.FromModel(model, 3, seed: 2, new Dictionary<string, long[]> { ["input_ids"] = [2, 7] });
        var ids = feed.Samples().First()["input_ids"];
        Assert.Equal(TensorElementType.Int64, ids.ElementType);
        Assert.Equal([2L, 7], ids.Shape);
        Assert.All(ids.AsSpan<long>().ToArray(), v => Assert.InRange(v, 0, options.Vocab - 1));
        // With 14 ids out of 512 some exceed the fallback range, so the table's rows were used.
        Assert.Contains(feed.Samples().SelectMany(s => s["input_ids"].AsSpan<long>().ToArray()), v => v >= InputSynthesizer.DefaultVocabulary);

        using var session = InferenceSession.Create(model.ToByteArray());
        Assert.Equal([2L, 7, options.Vocab], session.Run(feed.Samples().First())["logits"].Shape);
    }

    [Fact]
    public void Missing_symbolic_dimension_names_the_input()
    {
        var model = TransformerModelBuilder.Build(TransformerOptions.Small);

        var e = Assert.Throws<InputShapeException>(() => InputSynthesizer.FromModel(model, 1));

        Assert.Equal("input_ids", e.InputName);
        Assert.Contains("input_ids", e.Message);
        Assert.Contains("seq", e.Message);
    }

    [Fact]
    public void Given_shapes_must_fit_the_model()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls).Proto;

        var wrongFixed = Assert.Throws<InputShapeException>(() =>
            InputSynthesizer.FromModel(model, 1, 0, new Dictionary<string, long[]> { ["x"] = [1, 4, 48, 192] }));
        Assert.Contains("dimension 1", wrongFixed.Message);
        // x is [?, 3, ?, ?]: the batch defaults to 1, height and width must be given.
        var missing = Assert.Throws<InputShapeException>(() => InputSynthesizer.FromModel(model, 1));
        Assert.Equal("x", missing.InputName);
        Assert.Contains("dimension 2", missing.Message);
        var wrongRank = Assert.Throws<InputShapeException>(() =>
            InputSynthesizer.FromModel(model, 1, 0, new Dictionary<string, long[]> { ["x"] = [3, 48, 192] }));
        Assert.Contains("rank", wrongRank.Message);
        var unknown = Assert.Throws<InputShapeException>(() =>
            InputSynthesizer.FromModel(model, 1, 0, new Dictionary<string, long[]> { ["image"] = [1, 3, 48, 192] }));
        Assert.Equal("image", unknown.InputName);
    }

    [Fact]
    public void A_symbol_bound_by_one_input_resolves_it_in_another()
    {
        SynthesisInput[] inputs =
        [
            new("ids", TensorElementType.Int64, [new(null, "batch"), new(null, "seq")]),
            new("mask", TensorElementType.Bool, [new(null, "batch"), new(null, "seq")]),
            new("scale", TensorElementType.Float, []),
            new("features", TensorElementType.Float, [new(null, "N"), new(16, "")]),
        ];

        var shapes = InputSynthesizer.Shapes(inputs, new Dictionary<string, long[]> { ["ids"] = [3, 5] });
        Assert.Equal([3L, 5], shapes["mask"]);
        Assert.Empty(shapes["scale"]);
        Assert.Equal([1L, 16], shapes["features"]); // a free leading dimension is a batch of 1

        var sample = InputSynthesizer.From(inputs, 1, 0, new Dictionary<string, long[]> { ["ids"] = [3, 5] }).Samples().Single();
        Assert.All(sample["mask"].AsSpan<bool>().ToArray(), Assert.False);
        Assert.All(sample["ids"].AsSpan<long>().ToArray(), v => Assert.InRange(v, 0, InputSynthesizer.DefaultVocabulary - 1));
        Assert.Equal(1, sample["scale"].ElementCount);
    }
}
