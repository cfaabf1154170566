using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;

namespace Qaas.TestSupport;

/// <summary>
/// Builds a pre-LayerNorm decoder-style transformer in memory (opset 17, weights as initializers, seeded random
/// weights ~N(0, 0.02), LayerNorm gamma ~1): input_ids int64 [batch, seq] -> embedding Gather -> blocks of
/// (LayerNorm -> multi-head self-attention -> residual, LayerNorm -> MatMul + GELU + MatMul -> residual)
/// -> final LayerNorm -> logits MatMul (or hidden states). No causal mask or position embedding: the graph has
/// the shape and op mix of a decoder, which is what quantizers care about.
/// Two standard initialisation choices keep the residual stream's scale realistic (random nets otherwise let every
/// block's output swamp the stream, which no trained model does): embeddings are multiplied by sqrt(Dim)
/// (Vaswani et al. 2017) and the residual projections start at 0.02 / sqrt(2 * Blocks) (GPT-2).
/// </summary>
public static class TransformerModelBuilder
{
    public const string InputName = "input_ids";

    public static ModelProto Build(TransformerOptions o)
    {
        if (o.Dim % o.Heads != 0) throw new ArgumentException("Dim must be a multiple of Heads.", nameof(o));
        var model = new ModelProto { IrVersion = 8, ProducerName = "qaas-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 17 });
        model.Graph = new GraphProto { Name = "transformer" };
        var b = new Builder(model, o);
        b.Emit();
        return model;
    }

    private sealed class Builder(ModelProto model, TransformerOptions o)
    {
        private readonly GraphEditor _editor = new(model);
        private const float Sigma = 0.02f;
        private int _tensorIndex;

        public void Emit()
        {
            var g = model.Graph;
            g.Input.Add(ValueInfo(InputName, TensorProto.Types.DataType.Int64, "batch", "seq"));
            int headDim = o.Dim / o.Heads;
            Const("heads_shape", [0, 0, o.Heads, headDim]);
            Const("model_shape", [0, 0, o.Dim]);
            Scalar("attn_scale", 1f / MathF.Sqrt(headDim));
            Scalar("half", 0.5f);
            Scalar("one", 1f);
            Scalar("embed_scale", MathF.Sqrt(o.Dim));
            if (o.TanhGelu)
            {
                Scalar("gelu_c", MathF.Sqrt(2f / MathF.PI));
                Scalar("gelu_k", 0.044715f);
                Scalar("three", 3f);
            }
            else Scalar("inv_sqrt2", 1f / MathF.Sqrt(2f));

            var x = Node("Gather", [Weight("embedding", o.Vocab, o.Dim), InputName], "embedded_raw");
            x = Node("Mul", [x, "embed_scale"], "embedded");
            for (int i = 0; i < o.Blocks; i++)
                x = Block(x, $"block{i}");
            x = LayerNorm(x, "final_ln");
            var output = o.Logits ? "logits" : "hidden_states";
            var last = o.Logits ? Node("MatMul", [x, Weight("lm_head.weight", o.Dim, o.Vocab)], output)
                : Node("Identity", [x], output);
            g.Output.Add(ValueInfo(last, TensorProto.Types.DataType.Float, "batch", "seq", o.Logits ? o.Vocab.ToString() : o.Dim.ToString()));
        }

        private string Block(string x, string p)
        {
            var h = LayerNorm(x, $"{p}.ln1");
            var q = Heads(Linear(h, $"{p}.attn.q", o.Dim, o.Dim), $"{p}.q", [0, 2, 1, 3]);
            var k = Heads(Linear(h, $"{p}.attn.k", o.Dim, o.Dim), $"{p}.k", [0, 2, 3, 1]);
            var v = Heads(Linear(h, $"{p}.attn.v", o.Dim, o.Dim), $"{p}.v", [0, 2, 1, 3]);
            var scores = Node("Mul", [Node("MatMul", [q, k], $"{p}.qk"), "attn_scale"], $"{p}.scores");
            var probs = Node("Softmax", [scores], $"{p}.probs", Attributes.Int("axis", -1));
            var context = Node("MatMul", [probs, v], $"{p}.context_heads");
            context = Node("Transpose", [context], $"{p}.context_t", Attributes.Ints("perm", 0, 2, 1, 3));
            context = Node("Reshape", [context, "model_shape"], $"{p}.context");
            x = Node("Add", [x, Linear(context, $"{p}.attn.out", o.Dim, o.Dim, ResidualSigma)], $"{p}.residual1");

            h = LayerNorm(x, $"{p}.ln2");
            var up = Gelu(Linear(h, $"{p}.mlp.up", o.Dim, o.FfnDim), $"{p}.mlp.gelu");
            return Node("Add", [x, Linear(up, $"{p}.mlp.down", o.FfnDim, o.Dim, ResidualSigma)], $"{p}.residual2");
        }

        private string Heads(string x, string p, long[] perm)
        {
            var r = Node("Reshape", [x, "heads_shape"], $"{p}_heads");
            return Node("Transpose", [r], $"{p}_t", Attributes.Ints("perm", perm));
        }

        private float ResidualSigma => Sigma / MathF.Sqrt(2 * o.Blocks);

        private string Linear(string x, string p, int inFeatures, int outFeatures, float sigma = Sigma)
        {
            var w = Add($"{p}.weight", Gaussian(inFeatures * outFeatures, sigma, 0f), inFeatures, outFeatures);
            var y = Node("MatMul", [x, w], $"{p}.matmul");
            return Node("Add", [y, Weight($"{p}.bias", outFeatures)], $"{p}.out");
        }

        private string LayerNorm(string x, string p)
        {
            var gamma = Add($"{p}.gamma", Gaussian(o.Dim, Sigma, 1f), o.Dim);
            var beta = Weight($"{p}.beta", o.Dim);
            return Node("LayerNormalization", [x, gamma, beta], $"{p}.out", Attributes.Int("axis", -1), Attributes.Float("epsilon", 1e-5f));
        }

        private string Gelu(string x, string p)
        {
            string inner;
            if (o.TanhGelu)
            {
                // 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))
                var cube = Node("Pow", [x, "three"], $"{p}.cube");
                var poly = Node("Add", [x, Node("Mul", [cube, "gelu_k"], $"{p}.kcube")], $"{p}.poly");
                inner = Node("Tanh", [Node("Mul", [poly, "gelu_c"], $"{p}.scaled")], $"{p}.tanh");
            }
            else
            {
                // 0.5 x (1 + erf(x / sqrt 2))
                inner = Node("Erf", [Node("Mul", [x, "inv_sqrt2"], $"{p}.scaled")], $"{p}.erf");
            }
            var gate = Node("Add", [inner, "one"], $"{p}.gate");
            return Node("Mul", [Node("Mul", [x, "half"], $"{p}.half"), gate], $"{p}.out");
        }

        private string Node(string op, string[] inputs, string output, params AttributeProto[] attributes)
        {
            _editor.AddNode(op, inputs, [output], output, "", attributes);
            return output;
        }

        private string Weight(string name, params int[] dims) => Add(name, Gaussian(dims.Aggregate(1, (a, d) => a * d), Sigma, 0f), dims);

        private string Add(string name, float[] values, params int[] dims)
        {
            model.Graph.Initializer.Add(TensorData.Create<float>(name, values, dims.Select(d => (long)d).ToArray()));
            return name;
        }

        private void Const(string name, long[] values) =>
            model.Graph.Initializer.Add(TensorData.Create<long>(name, values, [values.Length]));

        private void Scalar(string name, float value) =>
            model.Graph.Initializer.Add(TensorData.Create<float>(name, [value], []));

        // One seeded generator per tensor, so a tensor's values do not depend on the model's size elsewhere.
        // The seed is plain arithmetic: HashCode.Combine is randomised per process, which made every run a new model.
        private float[] Gaussian(int count, float sigma, float mean)
        {
            var random = new Random(unchecked(o.Seed * 1_000_003 + _tensorIndex++));
            var x = new float[count];
            for (int i = 0; i < count; i += 2)
            {
                // Box-Muller: two normal values per pair of uniforms.
                double r = Math.Sqrt(-2 * Math.Log(1.0 - random.NextDouble())), t = 2 * Math.PI * random.NextDouble();
                x[i] = (float)(mean + sigma * r * Math.Cos(t));
                if (i + 1 < count) x[i + 1] = (float)(mean + sigma * r * Math.Sin(t));
            }
            return x;
        }
    }

    private static ValueInfoProto ValueInfo(string name, TensorProto.Types.DataType type, params string[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(long.TryParse(d, out var v) ? new TensorShapeProto.Types.Dimension { DimValue = v }
                : new TensorShapeProto.Types.Dimension { DimParam = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)type, Shape = shape } },
        };
    }

    /// <summary>Deterministic token ids in [0, vocab) of shape [batch, seq].</summary>
    public static long[] TokenIds(int batch, int seq, int vocab, int seed = 7)
    {
        var random = new Random(seed);
        var ids = new long[batch * seq];
        for (int i = 0; i < ids.Length; i++) ids[i] = random.Next(vocab);
        return ids;
    }
}
