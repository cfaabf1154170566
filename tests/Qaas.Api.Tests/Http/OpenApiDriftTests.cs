using System.Text.Json.Nodes;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

/// <summary>The running service's OpenAPI document must equal the checked-in openapi/openapi.json (QAAS_UPDATE_OPENAPI=1 rewrites it).</summary>
public sealed class OpenApiDriftTests(QaasService service) : IClassFixture<QaasService>
{
    [Fact]
    public async Task Served_document_matches_the_checked_in_contract()
    {
        using var client = service.Anonymous();
        var served = JsonNode.Parse(await client.GetStringAsync("/swagger/v1/swagger.json"))!;
        var path = Path.Combine(RepositoryPaths.Root, "openapi", "openapi.json");
        var text = served.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }) + "\n";
        if (Environment.GetEnvironmentVariable("QAAS_UPDATE_OPENAPI") == "1")
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await File.WriteAllTextAsync(path, text);
            return;
        }
        Assert.True(File.Exists(path), $"{path} is missing; run the tests with QAAS_UPDATE_OPENAPI=1 to create it.");
        var checkedIn = JsonNode.Parse(await File.ReadAllTextAsync(path))!;
        Assert.True(JsonNode.DeepEquals(checkedIn, served),
            "The API's OpenAPI document differs from openapi/openapi.json; if the change is intended, rerun with QAAS_UPDATE_OPENAPI=1 and commit the file.");
    }
}
