using System.Text;

namespace Qaas.Api.Inspection;

/// <summary>
/// TEMPORARY stand-in until Qaas.Onnx's inspector is wired in: walks the ModelProto wire format for ir_version,
/// opset_import, graph inputs/outputs (names, elem types, shapes), node op types and initializer sizes.
/// Reads the whole file into memory, so it refuses files over 256 MiB.
/// </summary>
public sealed class TemporaryModelInspector : IModelInspector
{
    private const long MaxBytes = 256L << 20;

    public async Task<ModelDescription> InspectAsync(string onnxPath, CancellationToken ct)
    {
        var info = new FileInfo(onnxPath);
        if (info.Length == 0) throw new ModelFormatException("The model file is empty.");
        if (info.Length > MaxBytes) throw new ModelFormatException("The temporary inspector reads models up to 256 MiB.");
        var bytes = await File.ReadAllBytesAsync(onnxPath, ct);
        return Describe(bytes);
    }

    private static ModelDescription Describe(ReadOnlySpan<byte> model)
    {
        long ir = 0;
        var opsets = new Dictionary<string, long>();
        var inputs = new List<TensorSpec>();
        var outputs = new List<TensorSpec>();
        var initializerNames = new HashSet<string>();
        var opCounts = new SortedDictionary<string, int>(StringComparer.Ordinal);
        long parameters = 0;
        var sawGraph = false;

        var r = new ProtoWire(model);
        while (r.Next(out var f, out var wt))
        {
            if (f == 1 && wt == 0) ir = (long)r.ReadVarint();
            else if (f == 8 && wt == 2) ReadOpset(r.ReadBytes(), opsets);
            else if (f == 7 && wt == 2)
            {
                sawGraph = true;
                var g = new ProtoWire(r.ReadBytes());
                while (g.Next(out var gf, out var gwt))
                {
                    if (gf == 1 && gwt == 2) CountNode(g.ReadBytes(), opCounts);
                    else if (gf == 5 && gwt == 2) parameters += ReadInitializer(g.ReadBytes(), initializerNames);
                    else if (gf == 11 && gwt == 2) inputs.Add(ReadValueInfo(g.ReadBytes()));
                    else if (gf == 12 && gwt == 2) outputs.Add(ReadValueInfo(g.ReadBytes()));
                    else g.Skip(gwt);
                }
            }
            else r.Skip(wt);
        }
        if (ir == 0 || !sawGraph) throw new ModelFormatException("Not an ONNX model: ir_version or graph is missing.");
        // Initializers listed as graph inputs (old exporters) are weights, not inputs.
        inputs.RemoveAll(i => initializerNames.Contains(i.Name));
        return new ModelDescription(ir, opsets, inputs, outputs, parameters, new Dictionary<string, int>(opCounts));
    }

    private static void ReadOpset(ReadOnlySpan<byte> data, Dictionary<string, long> opsets)
    {
        var domain = "";
        long version = 0;
        var r = new ProtoWire(data);
        while (r.Next(out var f, out var wt))
        {
            if (f == 1 && wt == 2) domain = Encoding.UTF8.GetString(r.ReadBytes());
            else if (f == 2 && wt == 0) version = (long)r.ReadVarint();
            else r.Skip(wt);
        }
        opsets[domain == "" ? "ai.onnx" : domain] = version;
    }

    private static void CountNode(ReadOnlySpan<byte> data, SortedDictionary<string, int> counts)
    {
        var r = new ProtoWire(data);
        while (r.Next(out var f, out var wt))
        {
            if (f == 4 && wt == 2)
            {
                var op = Encoding.UTF8.GetString(r.ReadBytes());
                counts[op] = counts.GetValueOrDefault(op) + 1;
            }
            else r.Skip(wt);
        }
    }

    private static long ReadInitializer(ReadOnlySpan<byte> data, HashSet<string> names)
    {
        long count = 1;
        var r = new ProtoWire(data);
        while (r.Next(out var f, out var wt))
        {
            if (f == 1 && wt == 0) count *= (long)r.ReadVarint();
            else if (f == 1 && wt == 2)
            {
                var packed = new ProtoWire(r.ReadBytes());
                while (!packed.AtEnd) count *= (long)packed.ReadVarint();
            }
            else if (f == 8 && wt == 2) names.Add(Encoding.UTF8.GetString(r.ReadBytes()));
            else r.Skip(wt);
        }
        return count;
    }

    private static TensorSpec ReadValueInfo(ReadOnlySpan<byte> data)
    {
        var name = "";
        var elem = "undefined";
        var shape = new List<object?>();
        var r = new ProtoWire(data);
        while (r.Next(out var f, out var wt))
        {
            if (f == 1 && wt == 2) name = Encoding.UTF8.GetString(r.ReadBytes());
            else if (f == 2 && wt == 2)
            {
                var type = new ProtoWire(r.ReadBytes());
                while (type.Next(out var tf, out var twt))
                {
                    if (tf == 1 && twt == 2) ReadTensorType(type.ReadBytes(), ref elem, shape);
                    else type.Skip(twt);
                }
            }
            else r.Skip(wt);
        }
        return new TensorSpec(name, elem, shape);
    }

    private static void ReadTensorType(ReadOnlySpan<byte> data, ref string elem, List<object?> shape)
    {
        var r = new ProtoWire(data);
        while (r.Next(out var f, out var wt))
        {
            if (f == 1 && wt == 0) elem = ElemTypeName((int)r.ReadVarint());
            else if (f == 2 && wt == 2)
            {
                var s = new ProtoWire(r.ReadBytes());
                while (s.Next(out var sf, out var swt))
                {
                    if (sf == 1 && swt == 2) shape.Add(ReadDim(s.ReadBytes()));
                    else s.Skip(swt);
                }
            }
            else r.Skip(wt);
        }
    }

    private static object? ReadDim(ReadOnlySpan<byte> data)
    {
        object? dim = null;
        var r = new ProtoWire(data);
        while (r.Next(out var f, out var wt))
        {
            if (f == 1 && wt == 0) dim = (long)r.ReadVarint();
            else if (f == 2 && wt == 2) dim = Encoding.UTF8.GetString(r.ReadBytes());
            else r.Skip(wt);
        }
        return dim;
    }

    private static string ElemTypeName(int t) => t switch
    {
        1 => "float", 2 => "uint8", 3 => "int8", 4 => "uint16", 5 => "int16", 6 => "int32", 7 => "int64", 8 => "string",
        9 => "bool", 10 => "float16", 11 => "double", 12 => "uint32", 13 => "uint64", 16 => "bfloat16",
        17 => "float8e4m3fn", 18 => "float8e4m3fnuz", 19 => "float8e5m2", 20 => "float8e5m2fnuz", 21 => "uint4", 22 => "int4", 23 => "float4e2m1",
        _ => $"type{t}",
    };
}
