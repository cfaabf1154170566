using Qaas.Onnx.Proto;
using Qaas.Quantization.Pipeline;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Evaluation;

/// <summary>
/// Makes deterministic model inputs when no dataset was given (the feed is marked <see cref="SampleFeed.Synthetic"/>):
/// float inputs ~ N(0, 1), or uniform [0, 1) when 4-D (image-like); int64/int32 inputs token-like ids, uniform in
/// [0, V) with V the rows of the embedding table they index (else 100); uint8 4-D inputs uniform bytes; other
/// integers uniform [0, 100); bool false. Shapes come from <see cref="ShapeResolver"/>. Sample i depends only on
/// (seed, i), so enumerating the feed again gives the same tensors and nothing is kept between samples.
/// </summary>
public static class InputSynthesizer
{
    public const long DefaultVocabulary = 100;

    public static SampleFeed FromSession(InferenceSession session, int samples, int seed = 0,
        IReadOnlyDictionary<string, long[]>? inputShapes = null, ModelProto? model = null) =>
        From(SynthesisInputs.Of(session, model), samples, seed, inputShapes);

    public static SampleFeed FromModel(ModelProto model, int samples, int seed = 0, IReadOnlyDictionary<string, long[]>? inputShapes = null) =>
        From(SynthesisInputs.Of(model), samples, seed, inputShapes);

    public static SampleFeed From(IReadOnlyList<SynthesisInput> inputs, int samples, int seed = 0,
        IReadOnlyDictionary<string, long[]>? inputShapes = null)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(samples);
        var shapes = ShapeResolver.Resolve(inputs, inputShapes);
        foreach (var input in inputs)
            if (!IsSupported(input.ElementType))
                throw new NotSupportedException($"Cannot synthesize input '{input.Name}' of type {input.ElementType}; give a dataset.");
        return new SampleFeed(() => Generate(inputs, shapes, samples, seed), samples, synthetic: true);
    }

    /// <summary>The shapes the feed's tensors have, by input name.</summary>
    public static IReadOnlyDictionary<string, long[]> Shapes(IReadOnlyList<SynthesisInput> inputs, IReadOnlyDictionary<string, long[]>? inputShapes) =>
        ShapeResolver.Resolve(inputs, inputShapes);

    private static IEnumerable<IReadOnlyDictionary<string, Tensor>> Generate(
        IReadOnlyList<SynthesisInput> inputs, Dictionary<string, long[]> shapes, int samples, int seed)
    {
        for (var s = 0; s < samples; s++)
        {
            var random = new Random(unchecked(seed * 1_000_003 + s));
            var feed = new Dictionary<string, Tensor>(inputs.Count, StringComparer.Ordinal);
            foreach (var input in inputs)
                feed[input.Name] = Make(input, shapes[input.Name], random);
            yield return feed;
        }
    }

    private static bool IsSupported(TensorElementType t) => t is TensorElementType.Float or TensorElementType.Float16
        or TensorElementType.BFloat16 or TensorElementType.Double or TensorElementType.Int64 or TensorElementType.Int32
        or TensorElementType.Int16 or TensorElementType.Int8 or TensorElementType.UInt8 or TensorElementType.UInt16
        or TensorElementType.UInt32 or TensorElementType.UInt64 or TensorElementType.Bool;

    private static Tensor Make(SynthesisInput input, long[] shape, Random random)
    {
        var n = checked((int)Tensor.ShapeElementCount(shape));
        bool image = shape.Length == 4;
        long vocabulary = Math.Max(1, input.Vocabulary ?? DefaultVocabulary);
        switch (input.ElementType)
        {
            case TensorElementType.Float: return Tensor.Create(Floats(n, image, random), shape);
            case TensorElementType.Float16: return Tensor.Create(Array.ConvertAll(Floats(n, image, random), f => (Half)f), shape);
            case TensorElementType.BFloat16: return Tensor.Create(Array.ConvertAll(Floats(n, image, random), f => (BFloat16)f), shape);
            case TensorElementType.Double: return Tensor.Create(Array.ConvertAll(Floats(n, image, random), f => (double)f), shape);
            case TensorElementType.Int64: return Tensor.Create(Integers(n, vocabulary, random), shape);
            case TensorElementType.Int32: return Tensor.Create(Array.ConvertAll(Integers(n, Math.Min(vocabulary, int.MaxValue), random), v => (int)v), shape);
            case TensorElementType.UInt8: return Tensor.Create(Array.ConvertAll(Integers(n, image ? 256 : DefaultVocabulary, random), v => (byte)v), shape);
            case TensorElementType.Int8: return Tensor.Create(Array.ConvertAll(Integers(n, DefaultVocabulary, random), v => (sbyte)v), shape);
            case TensorElementType.Int16: return Tensor.Create(Array.ConvertAll(Integers(n, DefaultVocabulary, random), v => (short)v), shape);
            case TensorElementType.UInt16: return Tensor.Create(Array.ConvertAll(Integers(n, DefaultVocabulary, random), v => (ushort)v), shape);
            case TensorElementType.UInt32: return Tensor.Create(Array.ConvertAll(Integers(n, DefaultVocabulary, random), v => (uint)v), shape);
            case TensorElementType.UInt64: return Tensor.Create(Array.ConvertAll(Integers(n, DefaultVocabulary, random), v => (ulong)v), shape);
            case TensorElementType.Bool: return Tensor.Create(new bool[n], shape);
            default: throw new NotSupportedException($"Cannot synthesize input '{input.Name}' of type {input.ElementType}.");
        }
    }

    private static float[] Floats(int n, bool uniform, Random random)
    {
        var x = new float[n];
        if (uniform)
        {
            for (var i = 0; i < n; i++) x[i] = random.NextSingle();
            return x;
        }
        for (var i = 0; i < n; i += 2)
        {
            // Box-Muller: two normals from two uniforms.
            double u1 = 1.0 - random.NextDouble(), u2 = random.NextDouble();
            double r = Math.Sqrt(-2 * Math.Log(u1));
            x[i] = (float)(r * Math.Cos(2 * Math.PI * u2));
            if (i + 1 < n) x[i + 1] = (float)(r * Math.Sin(2 * Math.PI * u2));
        }
        return x;
    }

    private static long[] Integers(int n, long bound, Random random)
    {
        var x = new long[n];
        for (var i = 0; i < n; i++) x[i] = random.NextInt64(bound);
        return x;
    }
}
