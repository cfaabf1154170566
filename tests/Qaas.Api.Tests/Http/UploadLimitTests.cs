using System.Net;
using System.Net.Http.Headers;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

public sealed class UploadLimitTests(SmallLimitService service) : IClassFixture<SmallLimitService>
{
    [Fact]
    public async Task Oversized_upload_is_413_and_leaves_no_blob_rows()
    {
        using var client = service.Client();
        using var content = new ByteArrayContent(new byte[10_000]);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        var problem = await (await client.PostAsync("/v1/models", content)).ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Contains("4096", problem.Str("detail"));
        Assert.Equal(0, await TestPostgres.ScalarAsync(service.ConnectionString, "SELECT count(*) FROM blobs"));
        Assert.Equal(0, await TestPostgres.ScalarAsync(service.ConnectionString, "SELECT count(*) FROM blob_chunks"));
    }

    [Fact]
    public async Task Oversized_chunked_upload_without_length_is_413_too()
    {
        using var client = service.Client();
        using var content = new StreamContent(new MemoryStream(new byte[10_000]));
        content.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        content.Headers.ContentLength = null;
        using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/models") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        await (await client.SendAsync(request)).ExpectProblemAsync(HttpStatusCode.RequestEntityTooLarge);
        Assert.Equal(0, await TestPostgres.ScalarAsync(service.ConnectionString, "SELECT count(*) FROM blob_chunks"));
    }
}
