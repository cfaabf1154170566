using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

public sealed class DatasetsTests(QaasService service) : IClassFixture<QaasService>
{
    /// <summary>An .npz with x: float32 [3,1,4] and labels: int64 [3].</summary>
    private static byte[] Npz() => NpzWriter.Write(("x", new float[3 * 4], [3, 1, 4]), ("labels", new long[3], [3]));

    [Fact]
    public async Task Npz_upload_is_described_listed_and_deleted()
    {
        using var client = service.Client();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Npz()), "file", "calib.npz" } };
        var ds = await (await client.PostAsync("/v1/datasets", form)).ExpectJsonAsync(HttpStatusCode.Created);
        Assert.Equal("calib", ds.Str("name"));
        Assert.Equal("npz", ds.Str("format"));
        Assert.Equal(3, ds.GetProperty("samples").GetInt32());
        var x = ds.GetProperty("arrays").EnumerateArray().Single(a => a.Str("name") == "x");
        Assert.Equal("[3,1,4]", x.GetProperty("shape").GetRawText());
        Assert.Equal("float32", x.Str("dType"));

        var list = await client.GetFromJsonAsync<JsonElement>("/v1/datasets");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), d => d.Str("id") == ds.Str("id"));
        await (await client.DeleteAsync($"/v1/datasets/{ds.Str("id")}")).ExpectNoContent();
        await (await client.GetAsync($"/v1/datasets/{ds.Str("id")}")).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task Job_submission_checks_the_dataset_and_symbolic_dimensions_against_the_model()
    {
        using var client = service.Client();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(Npz()), "file", "calib.npz" } };
        var ds = (await (await client.PostAsync("/v1/datasets", form)).ExpectJsonAsync(HttpStatusCode.Created)).Str("id");

        var fits = (await client.UploadModelAsync(TinyOnnx.Relu(4))).Str("id");
        await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{fits}}","preset":"int8-static","calibrationDatasetId":"{{ds}}"}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);

        var wider = (await client.UploadModelAsync(TinyOnnx.Relu(5))).Str("id");
        var mismatch = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{wider}}","preset":"int8-static","calibrationDatasetId":"{{ds}}"}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("'x'", mismatch.Str("detail"));
        Assert.True(mismatch.GetProperty("errors").TryGetProperty("calibrationDatasetId", out _));

        var symbolic = (await client.UploadModelAsync(TinyOnnx.Relu(symbolicWidth: "n"))).Str("id");
        var unknown = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{symbolic}}","preset":"int8-static"}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(unknown.GetProperty("errors").TryGetProperty("inputShapes.x", out _), unknown.ToString());
        await (await client.PostJsonAsync("/v1/jobs", $$$"""{"modelId":"{{{symbolic}}}","preset":"int8-static","inputShapes":{"x":[1,8]}}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);
        await (await client.PostJsonAsync("/v1/jobs", $$$"""{"modelId":"{{{symbolic}}}","preset":"int8-static","inputShapes":{"y":[1,8]}}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unreadable_dataset_is_400()
    {
        using var client = service.Client();
        using var raw = new ByteArrayContent(Encoding.ASCII.GetBytes("not a dataset"));
        raw.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        await (await client.PostAsync("/v1/datasets", raw)).ExpectProblemAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Dataset_without_samples_is_400_and_not_stored()
    {
        // Zero samples would calibrate nothing and let an evaluation report a perfect, vacuous fidelity.
        using var client = service.Client();
        var before = (await client.GetFromJsonAsync<JsonElement>("/v1/datasets")).GetProperty("items").GetArrayLength();
        using var form = new MultipartFormDataContent { { new ByteArrayContent(NpzWriter.Write(("x", new float[0], [0, 1, 4]))), "file", "empty.npz" } };
        var problem = await (await client.PostAsync("/v1/datasets", form)).ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("no samples", problem.Str("detail"));
        Assert.Contains("'x'", problem.Str("detail"));
        Assert.Equal(before, (await client.GetFromJsonAsync<JsonElement>("/v1/datasets")).GetProperty("items").GetArrayLength());
    }
}
