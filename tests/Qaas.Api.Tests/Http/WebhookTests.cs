using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

public sealed class WebhookTests(QaasService service) : IClassFixture<QaasService>
{
    [Fact]
    public async Task Ended_job_posts_its_status_to_the_webhook()
    {
        var port = FreePort();
        using var listener = new HttpListener();
        listener.Prefixes.Add($"http://127.0.0.1:{port}/hook/");
        listener.Start();

        using var client = service.Client();
        var model = await client.UploadModelAsync(TinyOnnx.Relu(50));
        var job = await (await client.PostJsonAsync("/v1/jobs",
                $$"""{"modelId":"{{model.Str("id")}}","preset":"fp16","webhookUrl":"http://127.0.0.1:{{port}}/hook/done"}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);

        var context = await listener.GetContextAsync().WaitAsync(TimeSpan.FromSeconds(30));
        var body = await new StreamReader(context.Request.InputStream).ReadToEndAsync();
        context.Response.StatusCode = 204;
        context.Response.Close();
        var payload = JsonDocument.Parse(body).RootElement;
        Assert.Equal("POST", context.Request.HttpMethod);
        Assert.Equal(job.Str("id"), payload.Str("id"));
        Assert.Equal("succeeded", payload.Str("status"));

        await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{model.Str("id")}}","preset":"fp16","webhookUrl":"ftp://x"}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
        // Cloud metadata (link-local) is out of a webhook's reach, as a literal address or behind a name.
        foreach (var url in new[] { "http://169.254.169.254/latest/meta-data", "http://[fe80::1]/x" })
        {
            var refused = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{model.Str("id")}}","preset":"fp16","webhookUrl":"{{url}}"}"""))
                .ExpectProblemAsync(HttpStatusCode.BadRequest);
            Assert.Contains("link-local", refused.Str("detail"));
        }
        Assert.False(Qaas.Api.Jobs.WebhookAddresses.IsAllowed(IPAddress.Parse("::ffff:169.254.1.2")));
        Assert.True(Qaas.Api.Jobs.WebhookAddresses.IsAllowed(IPAddress.Loopback));
        Assert.True(Qaas.Api.Jobs.WebhookAddresses.IsAllowed(IPAddress.Parse("10.1.2.3")));
    }

    private static int FreePort()
    {
        using var l = new TcpListener(IPAddress.Loopback, 0);
        l.Start();
        return ((IPEndPoint)l.LocalEndpoint).Port;
    }
}
