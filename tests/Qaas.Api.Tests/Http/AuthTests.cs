using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

public sealed class AuthTests(QaasService service) : IClassFixture<QaasService>
{
    [Fact]
    public async Task Missing_or_unknown_key_is_401_problem()
    {
        using var anonymous = service.Anonymous();
        var problem = await (await anonymous.GetAsync("/v1/models")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        Assert.Contains("Authorization", problem.Str("detail"));
        using var wrong = service.Client("qaas_not-a-key");
        await (await wrong.GetAsync("/v1/models")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task X_Api_Key_header_works_too()
    {
        using var client = service.Anonymous();
        client.DefaultRequestHeaders.Add("X-Api-Key", service.AdminKey);
        await (await client.GetAsync("/v1/models")).ExpectJsonAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Tenants_see_only_their_own_resources_and_members_cannot_administer()
    {
        using var admin = service.Client();
        var tenant = await (await admin.PostJsonAsync("/v1/tenants", """{"name":"other-""" + Guid.NewGuid().ToString("N")[..6] + "\"}"))
            .ExpectJsonAsync(HttpStatusCode.Created);
        var key = await (await admin.PostJsonAsync("/v1/keys", JsonSerializer.Serialize(new { name = "ci", role = "member", tenantId = tenant.Str("id") })))
            .ExpectJsonAsync(HttpStatusCode.Created);
        var secret = key.Str("key");
        Assert.StartsWith("qaas_", secret);

        var mine = await admin.UploadModelAsync(TinyOnnx.Relu(5));
        using var other = service.Client(secret);
        await (await other.GetAsync($"/v1/models/{mine.Str("id")}")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await other.GetAsync($"/v1/models/{mine.Str("id")}/content")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await other.DeleteAsync($"/v1/models/{mine.Str("id")}")).ExpectProblemAsync(HttpStatusCode.NotFound);
        var list = await other.GetFromJsonAsync<JsonElement>("/v1/models");
        Assert.DoesNotContain(list.GetProperty("items").EnumerateArray(), m => m.Str("id") == mine.Str("id"));
        await (await other.GetAsync("/v1/tenants")).ExpectProblemAsync(HttpStatusCode.Forbidden);

        // Revoked keys stop working at once.
        await (await admin.DeleteAsync($"/v1/keys/{key.Str("id")}")).ExpectNoContent();
        await (await other.GetAsync("/v1/models")).ExpectProblemAsync(HttpStatusCode.Unauthorized);
        var keys = await admin.GetFromJsonAsync<JsonElement>("/v1/keys");
        Assert.DoesNotContain(keys.GetProperty("items").EnumerateArray(), k => k.TryGetProperty("key", out _));
        Assert.Contains(keys.GetProperty("items").EnumerateArray(), k => k.Str("id") == key.Str("id") && k.Str("revokedAt") is not null);

        // Tenants and keys page like every list: limit, cursor; items, next.
        var first = await admin.GetFromJsonAsync<JsonElement>("/v1/tenants?limit=1");
        Assert.Equal(1, first.GetProperty("items").GetArrayLength());
        var second = await admin.GetFromJsonAsync<JsonElement>($"/v1/tenants?limit=1&cursor={Uri.EscapeDataString(first.Str("next")!)}");
        Assert.NotEqual(first.GetProperty("items")[0].Str("id"), second.GetProperty("items")[0].Str("id"));
        var onePerPage = await admin.GetFromJsonAsync<JsonElement>("/v1/keys?limit=1");
        Assert.NotNull(onePerPage.Str("next"));
    }
}

internal static class ResponseExtensions
{
    public static async Task ExpectNoContent(this HttpResponseMessage r)
    {
        Assert.True(r.StatusCode == HttpStatusCode.NoContent, $"{(int)r.StatusCode}: {await r.Content.ReadAsStringAsync()}");
    }
}
