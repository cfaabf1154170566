using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Onnx.Rewrite;
using DT = Qaas.Onnx.Proto.TensorProto.Types.DataType;

namespace Qaas.Quantization.Tests.QOperator;

/// <summary>
/// A hand-written canonical QDQ graph (opset 13) of the ops that become com.microsoft QLinear ops, every tensor
/// quantized with a Q -> DQ pair of the chosen 8-bit type:
/// <code>
/// x[1,4,8,8] -> Sigmoid -> s ----+--> Add --+--> Concat(axis 1) -> AveragePool(2x2) -> GlobalAveragePool -> y[1,8,1,1]
///           \-> LeakyRelu -> l --+--> Mul --/
/// s is also a graph output (its DQ must stay).
/// </code>
/// </summary>
internal static class QdqOpsModel
{
    /// <param name="quantized">False: the same graph in fp32, without the Q/DQ pairs (the reference).</param>
    public static ModelProto Build(bool signed, bool quantized = true)
    {
        var graph = new GraphProto { Name = "qdq_ops" };
        graph.Input.Add(Value("x", 1, 4, 8, 8));
        graph.Output.Add(Value("y", 1, 8, 1, 1));
        graph.Output.Add(Value("s", 1, 4, 8, 8));
        var q = new Quantizer(graph, signed, quantized);
        var x = q.Pair("x", -1f, 1f);
        Float(graph, "Sigmoid", [x], "s_float");
        var s = q.Pair("s_float", 0f, 1f, dequantized: "s");
        Float(graph, "LeakyRelu", [x], "l_float", Attributes.Float("alpha", 0.1f));
        var l = q.Pair("l_float", -0.1f, 1f);
        Float(graph, "Add", [s, l], "p_float");
        var p = q.Pair("p_float", -0.1f, 2f);
        Float(graph, "Mul", [s, l], "m_float");
        var m = q.Pair("m_float", -0.1f, 1f);
        Float(graph, "Concat", [p, m], "c_float", Attributes.Int("axis", 1));
        var c = q.Pair("c_float", -0.1f, 2f);
        Float(graph, "AveragePool", [c], "a_float", Attributes.Ints("kernel_shape", 2, 2), Attributes.Ints("strides", 2, 2));
        var a = q.Pair("a_float", -0.1f, 2f);
        Float(graph, "GlobalAveragePool", [a], "g_float");
        q.Pair("g_float", -0.1f, 2f, dequantized: "y");
        var model = new ModelProto { IrVersion = 7, Graph = graph, ProducerName = "qaas-tests" };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = 13 });
        return model;
    }

    /// <summary>Writes Q -> DQ pairs with asymmetric parameters for a known range.</summary>
    private sealed class Quantizer(GraphProto graph, bool signed, bool quantized)
    {
        public string Pair(string tensor, float min, float max, string? dequantized = null)
        {
            if (!quantized)
            {
                if (dequantized is not null)
                    Float(graph, "Identity", [tensor], dequantized);
                return dequantized ?? tensor;
            }
            int qmin = signed ? -128 : 0;
            float scale = (max - min) / 255f;
            int zeroPoint = (int)Math.Round(qmin - min / scale);
            graph.Initializer.Add(TensorData.Create<float>(tensor + "_scale", [scale], []));
            graph.Initializer.Add(TensorData.Create<byte>(tensor + "_zero_point", [unchecked((byte)zeroPoint)], [], (int)(signed ? DT.Int8 : DT.Uint8)));
            dequantized ??= tensor + "_dequantized";
            Float(graph, "QuantizeLinear", [tensor, tensor + "_scale", tensor + "_zero_point"], tensor + "_quantized");
            Float(graph, "DequantizeLinear", [tensor + "_quantized", tensor + "_scale", tensor + "_zero_point"], dequantized);
            return dequantized;
        }
    }

    private static void Float(GraphProto graph, string op, string[] inputs, string output, params AttributeProto[] attributes)
    {
        var n = new NodeProto { OpType = op, Name = op + "_" + output };
        n.Input.AddRange(inputs);
        n.Output.Add(output);
        n.Attribute.AddRange(attributes);
        graph.Node.Add(n);
    }

    private static ValueInfoProto Value(string name, params long[] dims)
    {
        var shape = new TensorShapeProto();
        foreach (var d in dims)
            shape.Dim.Add(new TensorShapeProto.Types.Dimension { DimValue = d });
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)DT.Float, Shape = shape } },
        };
    }
}
