using System.IO.Compression;
using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Security.Cryptography;
using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

public sealed class ModelsTests(QaasService service) : IClassFixture<QaasService>
{
    [Fact]
    public async Task Raw_upload_describes_the_model_and_download_returns_the_same_bytes()
    {
        using var client = service.Client();
        var onnx = TinyOnnx.Relu(6);
        var model = await client.UploadModelAsync(onnx, "relu6");
        Assert.Equal("relu6", model.Str("name"));
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(onnx)), model.Str("sha256"));
        Assert.Equal(onnx.Length, model.GetProperty("sizeBytes").GetInt64());
        Assert.Equal(14, model.GetProperty("opsets").GetProperty("ai.onnx").GetInt32());
        var input = model.GetProperty("inputs")[0];
        Assert.Equal("x", input.Str("name"));
        Assert.Equal("float32", input.Str("elemType"));
        Assert.Equal("[1,6]", input.GetProperty("shape").GetRawText());
        Assert.Equal(1, model.GetProperty("opCounts").GetProperty("Relu").GetInt32());

        var download = await client.GetAsync($"/v1/models/{model.Str("id")}/content");
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(onnx, await download.Content.ReadAsByteArrayAsync());
        var again = await client.GetFromJsonAsync<JsonElement>($"/v1/models/{model.Str("id")}");
        Assert.Equal(model.Str("sha256"), again.Str("sha256"));
    }

    [Fact]
    public async Task Text_with_a_nul_character_is_400_wherever_it_is_stored()
    {
        // PostgreSQL cannot store U+0000 in text or jsonb; the request is at fault, not the server.
        using var client = service.Client();
        var before = (await client.GetFromJsonAsync<JsonElement>("/v1/models")).GetProperty("items").GetArrayLength();
        using var content = new ByteArrayContent(TinyOnnx.Relu(3));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var model = await (await client.PostAsync("/v1/models?name=a%00b", content)).ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("U+0000", model.Str("detail"));
        Assert.Equal(before, (await client.GetFromJsonAsync<JsonElement>("/v1/models")).GetProperty("items").GetArrayLength());

        await (await client.PostJsonAsync("/v1/tenants", """{"name":"a\u0000b"}""")).ExpectProblemAsync(HttpStatusCode.BadRequest);
        var modelId = (await client.UploadModelAsync(TinyOnnx.Relu(3))).Str("id");
        await (await client.PostJsonAsync("/v1/jobs", "{\"modelId\":\"" + modelId + "\",\"preset\":\"int8-static\",\"nodes\":{\"exclude\":{\"names\":[\"a\\u0000\"]}}}"))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
    }

    [Theory]
    [InlineData("/v1/models")]
    [InlineData("/v1/datasets")]
    public async Task A_name_over_200_characters_is_400_and_nothing_is_stored(string collection)
    {
        using var client = service.Client();
        var before = (await client.GetFromJsonAsync<JsonElement>(collection + "?limit=200")).GetProperty("items").GetArrayLength();
        using var content = new ByteArrayContent(TinyOnnx.Relu(3));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");

        var problem = await (await client.PostAsync($"{collection}?name={new string('n', 201)}", content)).ExpectProblemAsync(HttpStatusCode.BadRequest);

        Assert.True(problem.GetProperty("errors").TryGetProperty("name", out _), problem.ToString());
        Assert.Equal(before, (await client.GetFromJsonAsync<JsonElement>(collection + "?limit=200")).GetProperty("items").GetArrayLength());
        Assert.Equal(HttpStatusCode.Created, (await client.PostAsync($"/v1/models?name={new string('n', 200)}", new ByteArrayContent(TinyOnnx.Relu(3))
            { Headers = { ContentType = new MediaTypeHeaderValue("application/octet-stream") } })).StatusCode);
    }

    [Fact]
    public async Task Same_bytes_twice_make_two_models_sharing_one_blob()
    {
        using var client = service.Client();
        var onnx = TinyOnnx.Relu(7);
        var a = await client.UploadModelAsync(onnx);
        var b = await client.UploadModelAsync(onnx);
        Assert.NotEqual(a.Str("id"), b.Str("id"));
        Assert.Equal(a.Str("sha256"), b.Str("sha256"));
        Assert.Equal(1, await TestPostgres.ScalarAsync(service.ConnectionString, $"SELECT count(*) FROM blobs WHERE sha256 = '{a.Str("sha256")}'"));
    }

    [Fact]
    public async Task Multipart_upload_keeps_external_data_files_and_serves_them()
    {
        using var client = service.Client();
        var onnx = TinyOnnx.Relu(8);
        var weights = RandomNumberGenerator.GetBytes(3000);
        using var form = new MultipartFormDataContent
        {
            { new ByteArrayContent(onnx), "model", "net.onnx" },
            { new ByteArrayContent(weights), "data", "net.onnx.data" },
        };
        var model = await (await client.PostAsync("/v1/models", form)).ExpectJsonAsync(HttpStatusCode.Created);
        Assert.Equal("net", model.Str("name"));
        Assert.Equal(2, model.GetProperty("files").GetArrayLength());
        Assert.Equal(weights, await client.GetByteArrayAsync($"/v1/models/{model.Str("id")}/content?file=net.onnx.data"));
        Assert.Equal(onnx, await client.GetByteArrayAsync($"/v1/models/{model.Str("id")}/content"));

        using var zip = new ZipArchive(new MemoryStream(await client.GetByteArrayAsync($"/v1/models/{model.Str("id")}/content.zip")));
        Assert.Equal(["net.onnx", "net.onnx.data"], zip.Entries.Select(e => e.FullName).Order().ToArray());
    }

    [Theory]
    [InlineData("application/zip")]
    [InlineData("application/octet-stream")] // recognised by its first bytes: spooled and unpacked, not streamed as a model
    public async Task Zip_upload_is_unpacked(string contentType)
    {
        using var client = service.Client();
        var onnx = TinyOnnx.Relu(9);
        var ms = new MemoryStream();
        using (var zip = new ZipArchive(ms, ZipArchiveMode.Create, leaveOpen: true))
        {
            await using (var e = zip.CreateEntry("m/model.onnx").Open()) await e.WriteAsync(onnx);
            await using (var e = zip.CreateEntry("m/w.bin").Open()) await e.WriteAsync(new byte[100]);
        }
        using var content = new ByteArrayContent(ms.ToArray());
        content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        var model = await (await client.PostAsync("/v1/models", content)).ExpectJsonAsync(HttpStatusCode.Created);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(onnx)), model.Str("sha256"));
        Assert.Equal(onnx, await client.GetByteArrayAsync($"/v1/models/{model.Str("id")}/content"));
        Assert.Equal(["model.onnx", "w.bin"], model.GetProperty("files").EnumerateArray().Select(f => f.Str("name")).ToArray());
    }

    [Fact]
    public async Task Delete_removes_the_model()
    {
        using var client = service.Client();
        var model = await client.UploadModelAsync(TinyOnnx.Relu(10));
        await (await client.DeleteAsync($"/v1/models/{model.Str("id")}")).ExpectNoContent();
        await (await client.GetAsync($"/v1/models/{model.Str("id")}")).ExpectProblemAsync(HttpStatusCode.NotFound);
    }

    [Fact]
    public async Task List_pages_with_cursor()
    {
        using var client = service.Client();
        for (var i = 0; i < 3; i++) await client.UploadModelAsync(TinyOnnx.Relu(20 + i));
        var seen = new HashSet<string>();
        string? cursor = null;
        var pages = 0;
        do
        {
            var page = await client.GetFromJsonAsync<JsonElement>("/v1/models?limit=2" + (cursor is null ? "" : "&cursor=" + cursor));
            foreach (var m in page.GetProperty("items").EnumerateArray()) Assert.True(seen.Add(m.Str("id")));
            cursor = page.GetProperty("next").GetString();
            pages++;
        } while (cursor is not null);
        Assert.True(seen.Count >= 3);
        Assert.True(pages >= 2);
    }

    [Fact]
    public async Task Large_raw_upload_streams_through_inspection_into_the_store_and_back()
    {
        using var temp = new TempFolder();
        var path = temp.File("large.onnx");
        LargeInlineModelFile.Write(path, floatCount: 16 << 20); // 64 MiB: above Kestrel's default body limit, many pipe and blob-row rounds
        using var client = service.Client();
        JsonElement model;
        await using (var file = File.OpenRead(path))
        {
            using var content = new StreamContent(file);
            content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
            model = await (await client.PostAsync("/v1/models?name=large", content)).ExpectJsonAsync(HttpStatusCode.Created);
        }
        var bytes = await File.ReadAllBytesAsync(path);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(bytes)), model.Str("sha256"));
        Assert.Equal(1, model.GetProperty("opCounts").GetProperty("Mul").GetInt32());
        var download = await client.GetAsync($"/v1/models/{model.Str("id")}/content");
        Assert.Equal(bytes, await download.Content.ReadAsByteArrayAsync());
    }

    [Fact]
    public async Task Large_body_that_is_not_a_model_is_refused_and_stores_nothing()
    {
        using var client = service.Client();
        var blobsBefore = await TestPostgres.ScalarAsync(service.ConnectionString, "SELECT count(*) FROM blobs");
        var body = new byte[8 << 20];
        body[0] = 0x0a; body[1] = 0x05; // a field whose length runs past the message: fails once inspection reads it
        using var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        await (await client.PostAsync("/v1/models", content)).ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.Equal(blobsBefore, await TestPostgres.ScalarAsync(service.ConnectionString, "SELECT count(*) FROM blobs"));
    }

    [Fact]
    public async Task Bad_uploads_are_4xx_problems_and_store_nothing()
    {
        using var client = service.Client();
        var blobsBefore = await TestPostgres.ScalarAsync(service.ConnectionString, "SELECT count(*) FROM blobs");

        using var text = new StringContent("hello", System.Text.Encoding.UTF8, "text/plain");
        await (await client.PostAsync("/v1/models", text)).ExpectProblemAsync(HttpStatusCode.UnsupportedMediaType);

        using var garbage = new ByteArrayContent([0x08, 0x07, 0xff]);
        garbage.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var problem = await (await client.PostAsync("/v1/models", garbage)).ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(problem.Str("detail")));

        using var empty = new ByteArrayContent([]);
        empty.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var emptyProblem = await (await client.PostAsync("/v1/models", empty)).ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.False(string.IsNullOrEmpty(emptyProblem.Str("detail")));

        Assert.Equal(blobsBefore, await TestPostgres.ScalarAsync(service.ConnectionString, "SELECT count(*) FROM blobs"));
        await (await client.GetAsync($"/v1/models/{Guid.NewGuid()}")).ExpectProblemAsync(HttpStatusCode.NotFound);
        await (await client.GetAsync("/v1/models?cursor=%%%")).ExpectProblemAsync(HttpStatusCode.BadRequest);
    }
}
