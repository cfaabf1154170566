namespace Qaas.Quantization.Evaluation;

/// <summary>
/// Decides concrete input shapes. In order: a full shape given for the input (recipe/job <c>inputShapes</c>, checked
/// against the fixed dimensions); a symbolic dimension whose name another given shape already fixed (e.g. "batch"
/// and "seq" shared by input_ids and attention_mask); 1 for a dynamic leading (batch-like) dimension. Anything
/// else throws <see cref="InputShapeException"/> naming the input and the dimension.
/// </summary>
public static class ShapeResolver
{
    public static Dictionary<string, long[]> Resolve(IReadOnlyList<SynthesisInput> inputs, IReadOnlyDictionary<string, long[]>? given)
    {
        given ??= new Dictionary<string, long[]>();
        foreach (var name in given.Keys)
            if (inputs.All(i => i.Name != name))
                throw new InputShapeException(name, $"inputShapes names '{name}', which is not a model input; inputs: {string.Join(", ", inputs.Select(i => i.Name))}.");

        // Symbols bound by the given shapes apply to every input that uses the same name.
        var symbols = new Dictionary<string, long>(StringComparer.Ordinal);
        var shapes = new Dictionary<string, long[]>(StringComparer.Ordinal);
        foreach (var input in inputs)
        {
            if (!given.TryGetValue(input.Name, out var shape)) continue;
            Check(input, shape);
            shapes[input.Name] = shape.ToArray();
            if (input.Dims is null) continue;
            for (var i = 0; i < shape.Length; i++)
                if (input.Dims[i].Size is null && input.Dims[i].Symbol.Length > 0)
                    symbols.TryAdd(input.Dims[i].Symbol, shape[i]);
        }

        foreach (var input in inputs)
        {
            if (shapes.ContainsKey(input.Name)) continue;
            if (input.Dims is null)
                throw new InputShapeException(input.Name, $"input '{input.Name}' has an unknown rank; give its shape in inputShapes.");
            var shape = new long[input.Dims.Count];
            for (var i = 0; i < shape.Length; i++)
            {
                var d = input.Dims[i];
                shape[i] = d.Size is { } s && s > 0 ? s
                    : d.Symbol.Length > 0 && symbols.TryGetValue(d.Symbol, out var bound) ? bound
                    : i == 0 ? 1
                    : throw new InputShapeException(input.Name,
                        $"input '{input.Name}' has a symbolic dimension {i} ({(d.Symbol.Length > 0 ? d.Symbol : "unnamed")}); give its shape in inputShapes.");
            }
            shapes[input.Name] = shape;
        }
        return shapes;
    }

    private static void Check(SynthesisInput input, long[] shape)
    {
        if (shape.Any(d => d < 1))
            throw new InputShapeException(input.Name, $"inputShapes.{input.Name}: dimensions must be positive.");
        if (input.Dims is null) return;
        if (shape.Length != input.Dims.Count)
            throw new InputShapeException(input.Name, $"inputShapes.{input.Name} has rank {shape.Length}, the input has rank {input.Dims.Count}.");
        for (var i = 0; i < shape.Length; i++)
            if (input.Dims[i].Size is { } f && f > 0 && f != shape[i])
                throw new InputShapeException(input.Name, $"inputShapes.{input.Name}: dimension {i} is {shape[i]}, the model fixes it at {f}.");
    }
}
