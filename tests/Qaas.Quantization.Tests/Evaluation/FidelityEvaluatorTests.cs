using System.Numerics.Tensors;
using Google.Protobuf;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Quantization.Evaluation;
using Qaas.Runtime.Sessions;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Tests.Evaluation;

public class FidelityEvaluatorTests
{
    private static readonly byte[] Cls = File.ReadAllBytes(RepositoryPaths.PpOcrCls);

    private static Pipeline.SampleFeed ClsFeed(int samples, int batch = 1)
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls).Proto;
        return InputSynthesizer.FromModel(model, samples, seed: 3, new Dictionary<string, long[]> { ["x"] = [batch, 3, 48, 192] });
    }

    [Fact]
    public void Model_against_itself_is_exact()
    {
        var result = FidelityEvaluator.Evaluate(Cls, Cls, ClsFeed(3));

        var o = Assert.Single(result);
        Assert.Equal(1.0, o.Value.Cosine, 9);
        Assert.Equal(FidelityEvaluator.SqnrCeilingDb, o.Value.SqnrDb);
        Assert.Equal(0, o.Value.MaxAbsError);
        Assert.Equal(1.0, o.Value.Top1Agreement); // softmax [N, 2]: class scores
        Assert.Null(o.Value.Accuracy);
    }

    [Fact]
    public void Noisier_weights_give_lower_but_finite_sqnr()
    {
        var model = OnnxModel.Load(RepositoryPaths.PpOcrCls).Proto;
        var slight = WeightNoise.Add(model, 0.002, seed: 1).ToByteArray();
        var heavy = WeightNoise.Add(model, 0.05, seed: 1).ToByteArray();
        var feed = ClsFeed(4);

        var a = FidelityEvaluator.Evaluate(Cls, slight, feed).Values.Single();
        var b = FidelityEvaluator.Evaluate(Cls, heavy, feed).Values.Single();

        Assert.True(double.IsFinite(a.SqnrDb) && a.SqnrDb < FidelityEvaluator.SqnrCeilingDb, $"slight: {a.SqnrDb} dB");
        // 0.2 % noise is ~54 dB per layer; summed over the ~25 noisy layers it lands near 40 dB (measured 40.2).
        Assert.InRange(a.SqnrDb, 30, 50);
        Assert.InRange(b.SqnrDb, 8, 28); // 5 %: measured 17.6
        Assert.True(a.SqnrDb > b.SqnrDb + 10, $"slight {a.SqnrDb} dB vs heavy {b.SqnrDb} dB");
        Assert.True(a.Cosine > b.Cosine, $"cosine {a.Cosine} vs {b.Cosine}");
        Assert.True(a.MaxAbsError > 0 && a.MeanAbsError > 0 && a.MeanAbsError <= a.MaxAbsError);
    }

    [Fact]
    public void Labels_give_accuracy_for_both_models()
    {
        const int samples = 3, batch = 2;
        var feed = ClsFeed(samples, batch);
        var labels = Enumerable.Range(0, samples).Select(_ => new long[batch]).ToList(); // every row labelled class 0

        // The expected accuracy, from the reference model run directly.
        using var session = InferenceSession.Create(Cls);
        long zeros = 0;
        foreach (var sample in feed.Samples())
        {
            var scores = session.Run(sample).Values.Single().AsSpan<float>();
            for (var r = 0; r < batch; r++) if (TensorPrimitives.IndexOfMax(scores.Slice(r * 2, 2)) == 0) zeros++;
        }
        double expected = (double)zeros / (samples * batch);

        var o = FidelityEvaluator.Evaluate(Cls, Cls, feed, labels).Values.Single();
        Assert.Equal(expected, o.ReferenceAccuracy);
        Assert.Equal(expected, o.Accuracy);
        Assert.Throws<ArgumentException>(() => FidelityEvaluator.Evaluate(Cls, Cls, feed, labels.Take(1).ToList()));
    }

    [Fact]
    public void Fp16_output_is_read_as_float()
    {
        var reference = CastModel(DT.Float).ToByteArray();
        var candidate = CastModel(DT.Float16).ToByteArray();
        var feed = InputSynthesizer.FromModel(CastModel(DT.Float), 4, seed: 9);

        var o = FidelityEvaluator.Evaluate(reference, candidate, feed).Values.Single();

        // fp16 keeps 11 significant bits: rounding noise ~ 2^-11 relative, i.e. ~70 dB.
        Assert.InRange(o.SqnrDb, 60, 90);
        Assert.True(o.Cosine > 0.99999);
        Assert.True(o.MaxAbsError > 0);
        Assert.Null(o.Top1Agreement); // rank 4: not class scores
    }

    [Fact]
    public void Nan_outputs_are_counted_and_score_worst()
    {
        // The 4-D input is synthesized uniform in [0, 1), where Acosh (defined from 1 up) is NaN everywhere;
        // the metrics must stay finite (JSON has no NaN).
        var reference = UnaryModel("Identity", DT.Float).ToByteArray();
        var broken = UnaryModel("Acosh", DT.Float).ToByteArray();
        var feed = InputSynthesizer.FromModel(UnaryModel("Identity", DT.Float), 4, seed: 2);

        var o = FidelityEvaluator.Evaluate(reference, broken, feed).Values.Single();

        Assert.Equal(4 * 32, o.NonFiniteValues);
        Assert.Equal(-FidelityEvaluator.SqnrCeilingDb, o.SqnrDb);
        Assert.Equal(0, o.Cosine);
        Assert.True(double.IsFinite(o.MaxAbsError) && double.IsFinite(o.MeanAbsError));
    }

    [Fact]
    public void Transformer_logits_are_class_scores_per_position()
    {
        var model = TransformerModelBuilder.Build(TransformerOptions.Small);
        var bytes = model.ToByteArray();
        var feed = InputSynthesizer.FromModel(model, 2, seed: 1, new Dictionary<string, long[]> { ["input_ids"] = [1, 8] });

        var o = FidelityEvaluator.Evaluate(bytes, WeightNoise.Add(model, 0.01, 2).ToByteArray(), feed);

        var logits = o["logits"];
        Assert.NotNull(logits.Top1Agreement);
        Assert.InRange(logits.Top1Agreement!.Value, 0.5, 1.0);
        Assert.InRange(logits.SqnrDb, 25, 50); // measured 36.9
    }

    /// <summary>x float [1, 2, 4, 4] -> Identity (float) or Cast to fp16: the output's element type is the only difference.</summary>
    private static ModelProto CastModel(DT output) => output == DT.Float
        ? UnaryModel("Identity", DT.Float)
        : UnaryModel("Cast", output, Onnx.Rewrite.Attributes.Int("to", (long)output));

    private static ModelProto UnaryModel(string op, DT output, params AttributeProto[] attributes)
    {
        var g = new GraphProto { Name = op };
        g.Input.Add(Value("x", DT.Float));
        g.Output.Add(Value("y", output));
        g.Node.Add(new NodeProto { OpType = op, Input = { "x" }, Output = { "y" }, Attribute = { attributes } });
        return new ModelProto { IrVersion = 8, Graph = g, OpsetImport = { new OperatorSetIdProto { Domain = "", Version = 17 } } };
    }

    private static ValueInfoProto Value(string name, DT type)
    {
        var shape = new TensorShapeProto();
        foreach (var d in new long[] { 1, 2, 4, 4 }) shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto { Name = name, Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } } };
    }
}
