using Qaas.Onnx.Summary;
using System.Text.Json;
using Qaas.Quantization.Datasets;
using Qaas.Api.Inspection;
using Qaas.Api.Problems;

namespace Qaas.Api.Validation;

/// <summary>
/// Checks a job's inputs before it is queued: every model input must get a shape (symbolic dimensions from
/// inputShapes, else the dataset, else 1 for a leading batch dimension) and a dataset must match the inputs
/// (names or positions, element types, ranks, fixed dimensions). Errors name the input or array.
/// Sample i of array X is X[i]; when the input has one more dimension than X[i], a leading batch axis of 1 is added.
/// </summary>
public static class JobInputsCheck
{
    public static void Check(ModelSummary model, IReadOnlyDictionary<string, long[]>? inputShapes,
        (string Field, IReadOnlyList<DatasetArray> Arrays)? calibration, (string Field, IReadOnlyList<DatasetArray> Arrays)? evaluation)
    {
        foreach (var name in inputShapes?.Keys ?? Enumerable.Empty<string>())
            if (model.Inputs.All(i => i.Name != name))
                throw ApiProblemException.Field($"inputShapes.{name}", $"the model has no input '{name}'; inputs: {string.Join(", ", model.Inputs.Select(i => i.Name))}.");

        foreach (var ds in new[] { calibration, evaluation })
            if (ds is { } d) CheckDataset(model, d.Field, d.Arrays);

        for (var k = 0; k < model.Inputs.Count; k++)
        {
            var input = model.Inputs[k];
            if (input.Shape is null) continue; // rank unknown: nothing to check before the job runs
            if (inputShapes is not null && inputShapes.TryGetValue(input.Name, out var given))
            {
                if (given.Length != input.Shape.Count)
                    throw ApiProblemException.Field($"inputShapes.{input.Name}", $"has rank {given.Length}, the input has rank {input.Shape.Count}.");
                for (var i = 0; i < given.Length; i++)
                    if (Fixed(input.Shape[i]) is { } f && f != given[i])
                        throw ApiProblemException.Field($"inputShapes.{input.Name}", $"dimension {i} is {given[i]}, the model fixes it at {f}.");
                continue;
            }
            if (calibration is { } c && Match(c.Arrays, input, k) is not null) continue;
            for (var i = 1; i < input.Shape.Count; i++)
                if (Fixed(input.Shape[i]) is null)
                    throw ApiProblemException.Field($"inputShapes.{input.Name}",
                        $"input '{input.Name}' has a symbolic dimension {i} ({input.Shape[i] ?? "unknown"}); give its shape in inputShapes or calibration data.");
        }
    }

    private static void CheckDataset(ModelSummary model, string field, IReadOnlyList<DatasetArray> arrays)
    {
        for (var k = 0; k < model.Inputs.Count; k++)
        {
            var input = model.Inputs[k];
            var array = Match(arrays, input, k)
                ?? throw ApiProblemException.Field(field, $"the dataset has no array for model input '{input.Name}' (arrays: {string.Join(", ", arrays.Select(a => a.Name))}).");
            if (array.DType != input.ElemType)
                throw ApiProblemException.Field(field, $"array '{array.Name}' holds {array.DType}, model input '{input.Name}' takes {input.ElemType}.");
            if (input.Shape is null) continue;
            var sample = array.Shape.Skip(1).ToList();
            var offset = input.Shape.Count - sample.Count; // 0: same rank; 1: a batch axis of 1 is added
            if (offset is not (0 or 1))
                throw ApiProblemException.Field(field, $"array '{array.Name}' samples have rank {sample.Count}, model input '{input.Name}' has rank {input.Shape.Count}.");
            if (offset == 1 && Fixed(input.Shape[0]) is { } b && b != 1)
                throw ApiProblemException.Field(field, $"array '{array.Name}' samples lack the batch axis, and model input '{input.Name}' fixes it at {b}.");
            for (var i = 0; i < sample.Count; i++)
                if (Fixed(input.Shape[i + offset]) is { } f && f != sample[i])
                    throw ApiProblemException.Field(field, $"array '{array.Name}' dimension {i + 1} is {sample[i]}, model input '{input.Name}' fixes it at {f}.");
        }
    }

    /// <summary>By the input's name, else by position ("input_K" of a TensorProto set).</summary>
    private static DatasetArray? Match(IReadOnlyList<DatasetArray> arrays, TensorSpec input, int position) =>
        arrays.FirstOrDefault(a => a.Name == input.Name) ?? arrays.FirstOrDefault(a => a.Position == position || a.Name == $"input_{position}");

    private static long? Fixed(object? dim) => dim switch
    {
        long l when l > 0 => l,
        int i when i > 0 => i,
        JsonElement { ValueKind: JsonValueKind.Number } e when e.GetInt64() > 0 => e.GetInt64(),
        _ => null,
    };
}
