using Qaas.Onnx.Summary;
using System.Text.Json;
using Qaas.Api.Contracts;
using Qaas.Api.Inspection;
using Qaas.Storage.Entities;

namespace Qaas.Api.Endpoints;

internal static class ModelMapping
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    public static ModelResponse ToResponse(ModelRecord m)
    {
        var d = JsonSerializer.Deserialize<ModelSummary>(m.Description, Json)!;
        return new ModelResponse(m.Id, m.Name, m.BlobSha256, m.SizeBytes, d.IrVersion, d.Opsets, d.Inputs, d.Outputs,
            d.ParameterCount, d.OpCounts,
            m.Files.OrderBy(f => f.FileName, StringComparer.Ordinal).Select(f => new ModelFileResponse(f.FileName, f.BlobSha256, f.SizeBytes)).ToList(),
            m.ParentModelId, m.JobId, m.CreatedAt);
    }
}
