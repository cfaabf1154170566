using Qaas.Onnx.Graph;
using Qaas.Onnx.Io;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using Qaas.Quantization.Formats;
using Qaas.Quantization.Kernels;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Static;

/// <summary>
/// Writes the QuantizeLinear/DequantizeLinear nodes and quantized initializers of a static QDQ model:
/// one shared Q->DQ pair per activation tensor, weights stored quantized behind a DequantizeLinear, and biases as
/// int32 with scale x_scale * w_scale so ONNX Runtime can fold them into its integer kernels.
/// </summary>
internal sealed class QdqWriter(GraphEditor editor, string domain, StaticQuantSettings settings, OnnxModel source)
{
    private readonly Dictionary<string, QuantParams> _activations = new(StringComparer.Ordinal);
    private readonly Dictionary<string, (string Name, float[] Scales, float[]? Error)> _weights = new(StringComparer.Ordinal);
    private readonly Dictionary<string, string> _constants = new(StringComparer.Ordinal);
    private readonly Dictionary<string, NodeProto> _producers = editor.Graph.Node
        .SelectMany(n => n.Output.Where(o => o.Length > 0).Select(o => (o, n)))
        .GroupBy(p => p.o).ToDictionary(g => g.Key, g => g.First().n, StringComparer.Ordinal);
    private readonly HashSet<string> _graphOutputs = editor.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);

    /// <summary>Inserts (once per tensor) Q->DQ on <paramref name="tensor"/>; every reader then sees the dequantized value.</summary>
    public QuantParams Activation(string tensor, (float Min, float Max) range)
    {
        if (_activations.TryGetValue(tensor, out var existing))
            return existing;
        var type = settings.ActivationType;
        if (StaticQuantSettings.IsFloat8Type(type))
            return _activations[tensor] = Float8Activation(tensor, range, type);
        var p = QuantParamsCalculator.FromRange(range.Min, range.Max, type, settings.SymmetricActivations);
        var scale = editor.AddInitializer(TensorData.Create<float>(tensor + "_scale", [p.Scale], []));
        var zeroPoint = editor.AddInitializer(ZeroPoints(tensor + "_zero_point", type, [p.ZeroPoint], []));
        var quantized = editor.Names.Fresh(tensor + "_quantized");
        if (_producers.TryGetValue(tensor, out var producer))
        {
            // The producer writes a new name and the DQ takes over the old one: readers and graph outputs stay as they are.
            var raw = editor.Names.Fresh(tensor + "_float");
            producer.Output[producer.Output.IndexOf(tensor)] = raw;
            editor.AddNode("QuantizeLinear", [raw, scale, zeroPoint], [quantized], tensor + "_QuantizeLinear", domain);
            editor.AddNode("DequantizeLinear", [quantized, scale, zeroPoint], [tensor], tensor + "_DequantizeLinear", domain);
        }
        else
        {
            // A graph input keeps its name: its readers move to the DQ output.
            var dequantized = editor.Names.Fresh(tensor + "_dequantized");
            var q = editor.AddNode("QuantizeLinear", [tensor, scale, zeroPoint], [quantized], tensor + "_QuantizeLinear", domain);
            editor.AddNode("DequantizeLinear", [quantized, scale, zeroPoint], [dequantized], tensor + "_DequantizeLinear", domain);
            editor.ReplaceAllUses(tensor, dequantized, except: q, includeGraphOutputs: false);
        }
        _activations[tensor] = p;
        return p;
    }

    /// <summary>
    /// Float8 activations as Div(scale) -> Cast(float8, saturating) -> Cast(float) -> Mul(scale): the same values as a
    /// float8 Q->DQ pair. ONNX Runtime 1.30's QDQ fusions do not check element types: a float8 Q after a Relu makes it
    /// drop the Relu, and DQ -> Conv -> Q becomes a QLinearConv that rejects float8, so activation Q/DQ pairs are not
    /// usable for float8 there. The weights keep their float8 DequantizeLinear.
    /// </summary>
    private QuantParams Float8Activation(string tensor, (float Min, float Max) range, QuantType type)
    {
        var p = QuantParamsCalculator.ForFloatType(range.Min, range.Max, type);
        var scale = editor.AddInitializer(TensorData.Create<float>(tensor + "_scale", [p.Scale], []));
        string input = tensor, output;
        if (_producers.TryGetValue(tensor, out var producer))
        {
            input = editor.Names.Fresh(tensor + "_float");
            producer.Output[producer.Output.IndexOf(tensor)] = input;
            output = tensor;
        }
        else
        {
            output = editor.Names.Fresh(tensor + "_dequantized");
        }
        var scaled = editor.Names.Fresh(tensor + "_scaled");
        var quantized = editor.Names.Fresh(tensor + "_quantized");
        var widened = editor.Names.Fresh(tensor + "_widened");
        var div = editor.AddNode("Div", [input, scale], [scaled], tensor + "_Scale");
        editor.AddNode("Cast", [scaled], [quantized], tensor + "_ToFloat8", "", Attributes.Int("to", DataTypeOf(type)));
        editor.AddNode("Cast", [quantized], [widened], tensor + "_ToFloat", "", Attributes.Int("to", (int)DT.Float));
        editor.AddNode("Mul", [widened, scale], [output], tensor + "_Unscale");
        if (producer is null)
            editor.ReplaceAllUses(tensor, output, except: div, includeGraphOutputs: false);
        return p;
    }

    /// <summary>Replaces the float weight at <paramref name="input"/> with quantized values behind a DequantizeLinear.</summary>
    /// <param name="axis">Output-channel axis for per-channel scales; null forces one scale.</param>
    /// <returns>The weight scales (one, or one per output channel).</returns>
    /// <param name="scaleFloors">Smallest scale allowed per output channel (one value for every channel when per-tensor),
    /// from <see cref="BiasScaleFloors"/>; null = none.</param>
    /// <param name="error">When given, receives W_q - W (integer types only), e.g. for bias correction.</param>
    /// <param name="rounding">When given, chooses the stored integer values for the scales found (integer types only;
    /// null from it means round-to-nearest), e.g. <see cref="AdaRoundWeights"/>.</param>
    public float[] Weight(NodeProto node, int input, int? axis, float[]? scaleFloors = null, Action<float[], int[]>? error = null,
        WeightRounding? rounding = null)
    {
        var name = node.Input[input];
        var tensor = editor.FindInitializer(name);
        var shape = tensor?.Dims.Select(d => checked((int)d)).ToArray();
        if (!_weights.TryGetValue(name, out var done))
        {
            if (tensor is null) throw new InvalidOperationException($"weight '{name}' is not an initializer");
            var w = TensorData.Read<float>(tensor, source);
            int? channelAxis = settings.PerChannelWeights ? axis : null;
            var (values, scales, zeroPoints, integer) = QuantizeWeight(w, shape!, channelAxis, scaleFloors, rounding is null ? null : p => rounding(name, w, shape!, p));
            var dims = tensor.Dims.ToArray();
            long[] paramDims = channelAxis is null ? [] : [scales.Length];
            var q = editor.AddInitializer(TensorData.Create<byte>(name + "_quantized", values, dims, DataTypeOf(settings.WeightType)));
            var s = editor.AddInitializer(TensorData.Create<float>(name + "_scale", scales, paramDims));
            var z = editor.AddInitializer(ZeroPoints(name + "_zero_point", settings.WeightType, zeroPoints, paramDims));
            var dequantized = editor.Names.Fresh(name + "_dequantized");
            AttributeProto[] attributes = channelAxis is { } a ? [Attributes.Int("axis", a)] : [];
            editor.AddNode("DequantizeLinear", [q, s, z], [dequantized], name + "_DequantizeLinear", domain, attributes);
            float[]? difference = null;
            if (error is not null && integer is not null)
            {
                difference = TensorQuantizer.Dequantize(values, shape!, integer);
                System.Numerics.Tensors.TensorPrimitives.Subtract(difference, w, difference);
            }
            _weights[name] = done = (dequantized, scales, difference);
        }
        if (error is not null && done.Error is not null && shape is not null)
            error(done.Error, shape);
        node.Input[input] = done.Name;
        return done.Scales;
    }

    /// <summary>
    /// Replaces the float initializer at <paramref name="input"/> (a constant operand of Add/Mul/Concat) with its values
    /// in the activation type, one scale over its own range, behind a DequantizeLinear: ORT's QLinearAdd/QLinearMul
    /// take every operand quantized to the same type.
    /// </summary>
    public void Constant(NodeProto node, int input)
    {
        var name = node.Input[input];
        if (!_constants.TryGetValue(name, out var dequantized))
        {
            var tensor = editor.FindInitializer(name) ?? throw new InvalidOperationException($"constant '{name}' is not an initializer");
            var values = TensorData.Read<float>(tensor, source);
            var (min, max) = TensorRanges.PerTensor(values);
            var type = settings.ActivationType;
            var p = QuantParamsCalculator.FromRange(min, max, type, settings.SymmetricActivations);
            var shape = tensor.Dims.Select(d => checked((int)d)).ToArray();
            var tp = new TensorQuantParams(type, Granularity.PerTensor, 0, 0, [p.Scale], [p.ZeroPoint], []);
            var q = editor.AddInitializer(TensorData.Create<byte>(name + "_quantized", TensorQuantizer.Quantize(values, shape, tp),
                tensor.Dims.ToArray(), DataTypeOf(type)));
            var s = editor.AddInitializer(TensorData.Create<float>(name + "_scale", [p.Scale], []));
            var z = editor.AddInitializer(ZeroPoints(name + "_zero_point", type, [p.ZeroPoint], []));
            dequantized = editor.Names.Fresh(name + "_dequantized");
            editor.AddNode("DequantizeLinear", [q, s, z], [dequantized], name + "_DequantizeLinear", domain);
            _constants[name] = dequantized;
        }
        node.Input[input] = dequantized;
    }

    /// <summary>Stores the float bias at <paramref name="input"/> as int32 with scale inputScale * weightScale, zero point 0.</summary>
    public void Bias(NodeProto node, int input, float inputScale, float[] weightScales)
    {
        var name = node.Input[input];
        var tensor = editor.FindInitializer(name) ?? throw new InvalidOperationException($"bias '{name}' is not an initializer");
        var b = TensorData.Read<float>(tensor, source);
        bool perChannel = weightScales.Length > 1;
        var scales = new float[weightScales.Length];
        for (int i = 0; i < scales.Length; i++)
            scales[i] = inputScale * weightScales[i];
        var values = new int[b.Length];
        for (int c = 0; c < b.Length; c++)
            values[c] = (int)Math.Clamp(Math.Round(b[c] / (double)scales[perChannel ? c : 0], MidpointRounding.ToEven),
                int.MinValue, int.MaxValue);
        long[] paramDims = perChannel ? [scales.Length] : [];
        var q = editor.AddInitializer(TensorData.Create<int>(name + "_quantized", values, tensor.Dims.ToArray()));
        var s = editor.AddInitializer(TensorData.Create<float>(name + "_scale", scales, paramDims));
        var z = editor.AddInitializer(TensorData.Create<int>(name + "_zero_point", new int[scales.Length], paramDims));
        var dequantized = editor.Names.Fresh(name + "_dequantized");
        AttributeProto[] attributes = perChannel ? [Attributes.Int("axis", 0)] : [];
        editor.AddNode("DequantizeLinear", [q, s, z], [dequantized], name + "_DequantizeLinear", domain, attributes);
        node.Input[input] = dequantized;
    }

    /// <returns>The stored values, scales and zero points; for integer types also the parameters that dequantize them.</returns>
    private (byte[] Values, float[] Scales, int[] ZeroPoints, TensorQuantParams? Integer) QuantizeWeight(float[] w, int[] shape, int? axis,
        float[]? floors, Func<TensorQuantParams, byte[]?>? rounding)
    {
        var type = settings.WeightType;
        if (StaticQuantSettings.IsFloat8Type(type))
        {
            var (bytes, fp8Scales, fp8ZeroPoints) = QuantizeFloat8(w, shape, axis, type);
            return (bytes, fp8Scales, fp8ZeroPoints, null);
        }
        var p = axis is { } a
            ? QuantParamsCalculator.PerChannel(w, shape, a, type, settings.SymmetricWeights)
            : QuantParamsCalculator.PerTensor(w, type, settings.SymmetricWeights);
        if (floors is not null && settings.SymmetricWeights)
        {
            // Widening a symmetric scale keeps the zero point and only coarsens weights that are tiny anyway.
            for (int c = 0; c < p.Scales.Length; c++)
                p.Scales[c] = MathF.Max(p.Scales[c], p.Scales.Length == floors.Length ? floors[c] : floors.Max());
        }
        return (rounding?.Invoke(p) ?? TensorQuantizer.Quantize(w, shape, p), p.Scales, p.ZeroPoints, p);
    }

    /// <summary>Largest int32 bias value allowed: the kernel adds the weight products to it in int32, so leave headroom.</summary>
    public const double BiasLimit = 1 << 28;

    /// <summary>
    /// Per output channel, the weight scale below which bias / (inputScale * weightScale) would not fit in
    /// <see cref="BiasLimit"/>: a channel whose weights are near zero but whose bias is not (BatchNorm-folded dead
    /// channels) would otherwise get a saturated, wrong int32 bias. As ONNX Runtime's own quantizer does, the weight
    /// scale is widened instead.
    /// </summary>
    public float[] BiasScaleFloors(NodeProto node, int biasInput, float inputScale)
    {
        var tensor = editor.FindInitializer(node.Input[biasInput]) ?? throw new InvalidOperationException($"bias '{node.Input[biasInput]}' is not an initializer");
        return TensorData.Read<float>(tensor, source).Select(b => (float)(Math.Abs(b) / (inputScale * BiasLimit))).ToArray();
    }

    /// <summary>Scale = absmax / largest finite value of the format (per channel or per tensor); zero point 0.</summary>
    private static (byte[], float[], int[]) QuantizeFloat8(float[] w, int[] shape, int? axis, QuantType type)
    {
        var layout = axis is { } a ? AxisLayout.Of(shape, a) : new AxisLayout(1, 1, w.Length);
        var mins = new float[layout.Axis];
        var maxs = new float[layout.Axis];
        TensorRanges.PerChannel(w, layout, mins, maxs);
        var scales = new float[layout.Axis];
        for (int c = 0; c < scales.Length; c++)
            scales[c] = QuantParamsCalculator.ForFloatType(mins[c], maxs[c], type).Scale;
        var scaled = new float[w.Length];
        for (int o = 0; o < layout.Outer; o++)
            for (int c = 0; c < layout.Axis; c++)
            {
                int at = (o * layout.Axis + c) * layout.Inner;
                System.Numerics.Tensors.TensorPrimitives.Divide(w.AsSpan(at, layout.Inner), scales[c], scaled.AsSpan(at, layout.Inner));
            }
        return (OnnxRawData.FromFloats(scaled, type), scales, new int[scales.Length]);
    }

    private static TensorProto ZeroPoints(string name, QuantType type, int[] zeroPoints, long[] dims)
    {
        // Integer zero points as their two's complement bytes; float8 zero is the all-zero code in both formats.
        var bytes = new byte[zeroPoints.Length];
        for (int i = 0; i < bytes.Length; i++)
            bytes[i] = StaticQuantSettings.IsFloat8Type(type) ? (byte)0 : unchecked((byte)zeroPoints[i]);
        return TensorData.Create<byte>(name, bytes, dims, DataTypeOf(type));
    }

    private static int DataTypeOf(QuantType type) => (int)(type switch
    {
        QuantType.Int8 => DT.Int8,
        QuantType.UInt8 => DT.Uint8,
        QuantType.Float8E4M3FN => DT.Float8E4M3Fn,
        QuantType.Float8E5M2 => DT.Float8E5M2,
        _ => throw new NotSupportedException($"{type} has no static QDQ storage type"),
    });
}
