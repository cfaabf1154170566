using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.Json;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

public sealed class JobsTests(QaasService service) : IClassFixture<QaasService>
{
    private async Task<string> ModelAsync(HttpClient client, int width = 4) => (await client.UploadModelAsync(TinyOnnx.Relu(width))).Str("id");

    [Fact]
    public async Task Model_that_onnx_runtime_cannot_load_fails_its_job_with_a_422_naming_the_reason()
    {
        // Well-formed protobuf, so the upload accepts it; only ONNX Runtime knows the operator does not exist.
        using var client = service.Client();
        var modelId = (await client.UploadModelAsync(TinyOnnx.Unary("NoSuchOperator"))).Str("id");
        var job = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{modelId}}","preset":"fp16"}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);
        var done = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed" or "cancelled");
        Assert.Equal("failed", done.Str("status"));
        var error = done.GetProperty("error");
        Assert.Equal(422, error.GetProperty("status").GetInt32());
        Assert.Contains("NoSuchOperator", error.Str("detail"));
        Assert.Contains("ONNX Runtime", error.Str("title"));
    }

    [Fact]
    public async Task Model_without_a_float_output_is_evaluated_without_fidelity_and_says_so()
    {
        // y = ArgMax(x): int64 class indices only, nothing to compute an SQNR on.
        const int F = (int)Qaas.Onnx.Proto.TensorProto.Types.DataType.Float, I64 = (int)Qaas.Onnx.Proto.TensorProto.Types.DataType.Int64;
        var g = new Qaas.Onnx.Proto.GraphProto { Name = "argmax" };
        g.Input.Add(ModelBuilder.Tensor("x", F, 1, 4));
        g.Output.Add(ModelBuilder.Tensor("y", I64, 1, 4));
        g.Node.Add(ModelBuilder.Node("ArgMax", "argmax", ["x"], ["y"]));
        var report = await FinishedReportAsync(Google.Protobuf.MessageExtensions.ToByteArray(ModelBuilder.Model(g)), expectSucceeded: true);
        Assert.Contains(report.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("no floating-point output"));
        Assert.Empty(report.GetProperty("outputs").EnumerateObject());
    }

    [Fact]
    public async Task Model_that_cannot_run_on_synthesized_inputs_fails_with_a_422_asking_for_data()
    {
        // y = Gather(x, idx) along axis 1 of a [1,4] x: synthesized token ids reach far past 4.
        const int F = (int)Qaas.Onnx.Proto.TensorProto.Types.DataType.Float, I64 = (int)Qaas.Onnx.Proto.TensorProto.Types.DataType.Int64;
        var g = new Qaas.Onnx.Proto.GraphProto { Name = "gather" };
        g.Input.Add(ModelBuilder.Tensor("x", F, 1, 4));
        g.Input.Add(ModelBuilder.Tensor("idx", I64, 3));
        g.Output.Add(ModelBuilder.Tensor("y", F, 1, 3));
        var gather = ModelBuilder.Node("Gather", "gather", ["x", "idx"], ["y"]);
        gather.Attribute.Add(new Qaas.Onnx.Proto.AttributeProto { Name = "axis", I = 1, Type = Qaas.Onnx.Proto.AttributeProto.Types.AttributeType.Int });
        g.Node.Add(gather);
        var error = await FinishedReportAsync(Google.Protobuf.MessageExtensions.ToByteArray(ModelBuilder.Model(g)), expectSucceeded: false);
        Assert.Equal(422, error.GetProperty("status").GetInt32());
        Assert.Contains("synthesized inputs", error.Str("detail"));
        Assert.Contains("Gather", error.Str("detail"));
    }

    [Fact]
    public async Task An_accuracy_limit_without_labels_says_what_is_missing()
    {
        using var client = service.Client();
        var modelId = (await client.UploadModelAsync(TinyOnnx.Relu(14))).Str("id");
        var job = await (await client.PostJsonAsync("/v1/jobs",
                $$$$"""{"modelId":"{{{{modelId}}}}","recipe":{"preset":"fp16","acceptance":{"maxAccuracyDrop":0.01}}}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);
        var done = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed" or "cancelled");
        var report = JsonDocument.Parse(await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json")).RootElement;
        Assert.Contains(report.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("needs labels"));
        Assert.False(report.GetProperty("verdict").GetProperty("passed").GetBoolean());
    }

    /// <summary>An fp16 job on <paramref name="onnx"/>: its report when it succeeded, its error when it failed.</summary>
    private async Task<JsonElement> FinishedReportAsync(byte[] onnx, bool expectSucceeded)
    {
        using var client = service.Client();
        var modelId = (await client.UploadModelAsync(onnx)).Str("id");
        var job = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{modelId}}","preset":"fp16"}""")).ExpectJsonAsync(HttpStatusCode.Accepted);
        var done = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed" or "cancelled");
        Assert.True(done.Str("status") == (expectSucceeded ? "succeeded" : "failed"), done.ToString());
        return expectSucceeded
            ? JsonDocument.Parse(await client.GetStringAsync($"/v1/jobs/{done.Str("id")}/artifacts/report.json")).RootElement
            : done.GetProperty("error");
    }

    [Fact]
    public async Task Job_runs_to_succeeded_with_a_downloadable_report()
    {
        using var client = service.Client();
        var modelId = await ModelAsync(client);
        var job = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{modelId}}","preset":"int8-static"}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("queued", job.Str("status"));
        var done = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed" or "cancelled");
        Assert.Equal("succeeded", done.Str("status"));
        Assert.Equal(1.0, done.GetProperty("progress").GetDouble());
        Assert.NotNull(done.GetProperty("startedAt").GetString());
        Assert.NotNull(done.GetProperty("finishedAt").GetString());
        var artifacts = done.GetProperty("artifacts").EnumerateArray().ToList();
        Assert.Equal(["model.onnx", "report.html", "report.json"], artifacts.Select(a => a.Str("name")).Order().ToArray());
        var artifact = artifacts.Single(a => a.Str("name") == "report.json");

        using var full = await client.GetAsync(artifact.Str("url"));
        Assert.Equal(HttpStatusCode.OK, full.StatusCode);
        var bytes = await full.Content.ReadAsByteArrayAsync();
        Assert.Equal(bytes.Length, full.Content.Headers.ContentLength);
        var etag = full.Headers.ETag!;
        var report = JsonDocument.Parse(bytes).RootElement;
        Assert.Equal(1, report.GetProperty("original").GetProperty("opCounts").GetProperty("Relu").GetInt32());
        Assert.Equal(["load", "analyze", "quantize", "evaluate"], report.GetProperty("stages").EnumerateArray().Select(s => s.Str("stage")).ToArray());
        Assert.Equal("int8-static", report.GetProperty("recipe").Str("preset")); // the recipe as an object, not a string
        // The build's version, with the commit when built from a git checkout; not the SDK's placeholder.
        var tool = report.GetProperty("provenance").Str("toolVersion");
        Assert.Matches(@"^\d+\.\d+\.\d+(\+[0-9a-f]{7,40})?$", tool);
        Assert.NotEqual("1.0.0.0", tool);
        // A Relu-only model has nothing int8-static quantizes: the report says so, and the fidelity is exact.
        Assert.Contains(report.GetProperty("warnings").EnumerateArray(), w => w.GetString()!.Contains("synthesized"));
        Assert.True(report.GetProperty("outputs").GetProperty("y").GetProperty("cosine").GetDouble() > 0.9999);
        // Nothing was quantized: the ratio is the uploaded bytes over the artifact's, close to 1.
        var modelArtifact = artifacts.Single(a => a.Str("name") == "model.onnx");
        Assert.Equal(Math.Round((double)TinyOnnx.Relu(4).Length / modelArtifact.GetProperty("sizeBytes").GetInt64(), 4),
            done.GetProperty("metrics").GetProperty("compressionRatio").GetDouble(), 4);

        using var rangeRequest = new HttpRequestMessage(HttpMethod.Get, artifact.Str("url"));
        rangeRequest.Headers.Range = new RangeHeaderValue(5, 14);
        using var partial = await client.SendAsync(rangeRequest);
        Assert.Equal(HttpStatusCode.PartialContent, partial.StatusCode);
        Assert.Equal(bytes[5..15], await partial.Content.ReadAsByteArrayAsync());
        Assert.Equal($"bytes 5-14/{bytes.Length}", partial.Content.Headers.ContentRange!.ToString());

        // HEAD: the headers alone.
        using var head = await client.SendAsync(new HttpRequestMessage(HttpMethod.Head, artifact.Str("url")));
        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(bytes.Length, head.Content.Headers.ContentLength);
        Assert.Equal(etag, head.Headers.ETag);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());

        // Several ranges, or another unit, are ignored: the whole artifact.
        foreach (var header in new[] { "bytes=0-3,8-11", "items=0-5" })
        {
            using var ignored = new HttpRequestMessage(HttpMethod.Get, artifact.Str("url"));
            ignored.Headers.TryAddWithoutValidation("Range", header);
            using var whole = await client.SendAsync(ignored);
            Assert.Equal(HttpStatusCode.OK, whole.StatusCode);
            Assert.Equal(bytes, await whole.Content.ReadAsByteArrayAsync());
        }

        using var conditional = new HttpRequestMessage(HttpMethod.Get, artifact.Str("url"));
        conditional.Headers.IfNoneMatch.Add(etag);
        Assert.Equal(HttpStatusCode.NotModified, (await client.SendAsync(conditional)).StatusCode);

        await (await client.GetAsync($"/v1/jobs/{job.Str("id")}/artifacts/nope.bin")).ExpectProblemAsync(HttpStatusCode.NotFound);

        // Server-sent events replay the whole history and end with the final status; Last-Event-ID resumes after it.
        var events = await ReadEventsAsync(client, job.Str("id"), null);
        Assert.Equal("status", events[^1].Type);
        Assert.Contains("succeeded", events[^1].Data);
        Assert.Contains(events, e => e.Type == "progress" && e.Data.Contains("analyze"));
        Assert.Contains(events, e => e.Type == "log");
        var resumed = await ReadEventsAsync(client, job.Str("id"), events[^3].Id);
        Assert.Equal(events[^2..].Select(e => e.Id), resumed.Select(e => e.Id));
        // Resuming after the final status ends the stream at once, empty.
        var afterEnd = ReadEventsAsync(client, job.Str("id"), events[^1].Id);
        Assert.Same(afterEnd, await Task.WhenAny(afterEnd, Task.Delay(TimeSpan.FromSeconds(10))));
        Assert.Empty(await afterEnd);

        var list = await client.GetFromJsonAsync<JsonElement>($"/v1/jobs?status=succeeded&modelId={modelId}");
        Assert.Contains(list.GetProperty("items").EnumerateArray(), j => j.Str("id") == job.Str("id"));

        await (await client.PostAsync($"/v1/jobs/{job.Str("id")}/cancel", null)).ExpectProblemAsync(HttpStatusCode.Conflict);
        await (await client.DeleteAsync($"/v1/jobs/{job.Str("id")}")).ExpectNoContent();
        await (await client.GetAsync(artifact.Str("url"))).ExpectProblemAsync(HttpStatusCode.NotFound);
        Assert.Equal(0, await TestPostgres.ScalarAsync(service.ConnectionString, $"SELECT count(*) FROM artifacts WHERE job_id = '{job.Str("id")}'"));
    }

    [Fact]
    public async Task Progress_reported_out_of_order_from_many_threads_is_written_in_order_and_never_backwards()
    {
        using var client = service.Client();
        var job = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{await ModelAsync(client, 13)}}","preset":"fp16"}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);
        var id = Guid.Parse(job.Str("id"));
        await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed");

        await using var db = Npgsql.NpgsqlDataSource.Create(service.ConnectionString);
        var reporter = new Qaas.Api.Jobs.StageReporter(new Qaas.Api.Jobs.JobEventWriter(db), id, stageCount: 1);
        reporter.Enter("probe", 0);
        // As a stage's IProgress does: reports from several threads at once, in waves that mostly rise but overlap.
        for (var wave = 0; wave < 20; wave++)
            await Task.WhenAll(Enumerable.Range(0, 8).Select(i => Task.Run(() => reporter.ProgressAsync((wave * 5 + i * 3 - 6) / 100.0))));
        var written = new List<double>();
        await using (var cmd = db.CreateCommand("SELECT (payload->>'progress')::float8 FROM job_events WHERE job_id = @j AND type = 'progress' AND payload->>'stage' = 'probe' ORDER BY id"))
        {
            cmd.Parameters.AddWithValue("j", id);
            await using var r = await cmd.ExecuteReaderAsync();
            while (await r.ReadAsync()) written.Add(r.GetDouble(0));
        }
        Assert.True(written.Count >= 10, $"{written.Count} progress events");
        Assert.Equal(written.Order(), written);
        Assert.Equal(written.Distinct(), written);
    }

    [Fact]
    public async Task Failing_stage_ends_the_job_failed_with_a_problem_and_the_worker_keeps_going()
    {
        using var client = service.Client();
        var broken = await client.UploadModelAsync(TinyOnnx.Relu(60));
        // Damage the stored bytes: the load stage's SHA-256 check must catch it.
        await TestPostgres.ScalarAsync(service.ConnectionString,
            $"WITH u AS (UPDATE blob_chunks SET data = set_byte(data, 0, (get_byte(data, 0) + 1) % 256) WHERE blob_id = (SELECT id FROM blobs WHERE sha256 = '{broken.Str("sha256")}') RETURNING 1) SELECT count(*) FROM u");
        var job = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{broken.Str("id")}}","preset":"fp16"}""")).ExpectJsonAsync(HttpStatusCode.Accepted);
        var failed = await client.WaitForJobAsync(job.Str("id"), j => j.Str("status") is "succeeded" or "failed");
        Assert.Equal("failed", failed.Str("status"));
        Assert.Contains("SHA-256", failed.GetProperty("error").Str("detail"));
        var events = await ReadEventsAsync(client, job.Str("id"), null);
        Assert.Contains("failed", events[^1].Data);

        var healthy = await ModelAsync(client, 61);
        var next = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{healthy}}","preset":"fp16"}""")).ExpectJsonAsync(HttpStatusCode.Accepted);
        Assert.Equal("succeeded", (await client.WaitForJobAsync(next.Str("id"), j => j.Str("status") is "succeeded" or "failed")).Str("status"));
    }

    [Fact]
    public async Task Idempotency_key_replays_the_same_job_and_rejects_another_body()
    {
        using var client = service.Client();
        var modelId = await ModelAsync(client, 11);
        var key = Guid.NewGuid().ToString();
        var body = $$"""{"modelId":"{{modelId}}","preset":"w4-rtn"}""";
        var first = await (await client.PostJsonAsync("/v1/jobs", body, key)).ExpectJsonAsync(HttpStatusCode.Accepted);
        var second = await (await client.PostJsonAsync("/v1/jobs", body, key)).ExpectJsonAsync(HttpStatusCode.OK);
        Assert.Equal(first.Str("id"), second.Str("id"));
        var other = $$"""{"modelId":"{{modelId}}","preset":"fp16"}""";
        await (await client.PostJsonAsync("/v1/jobs", other, key)).ExpectProblemAsync(HttpStatusCode.Conflict);
    }

    [Fact]
    public async Task Errors_the_framework_writes_carry_a_detail_in_client_terms()
    {
        using var client = service.Client();
        async Task<string> Detail(HttpResponseMessage response, HttpStatusCode status)
        {
            var detail = (await response.ExpectProblemAsync(status)).Str("detail");
            Assert.False(string.IsNullOrWhiteSpace(detail), $"{status} without a detail");
            Assert.DoesNotContain("System.", detail);
            return detail;
        }
        Assert.Contains("no such resource", await Detail(await client.GetAsync("/v1/models/not-a-uuid"), HttpStatusCode.NotFound));
        await Detail(await client.GetAsync("/v1/models?limit=abc"), HttpStatusCode.BadRequest);
        using var text = new StringContent("{}", System.Text.Encoding.UTF8, "text/plain");
        Assert.Contains("text/plain", await Detail(await client.PostAsync("/v1/jobs", text), HttpStatusCode.UnsupportedMediaType));
        Assert.Contains("a UUID", await Detail(await client.PostJsonAsync("/v1/jobs", """{"modelId":"not-a-uuid","preset":"fp16"}"""), HttpStatusCode.BadRequest));
        Assert.Contains("an integer", await Detail(await client.PostJsonAsync("/v1/jobs", """{"modelId":null,"preset":"fp16","priority":99999999999}"""), HttpStatusCode.BadRequest));
        Assert.Contains("JSON object", await Detail(await client.PostJsonAsync("/v1/jobs", "[]"), HttpStatusCode.BadRequest));
    }

    [Theory]
    [InlineData("/v1/jobs/00000000-0000-0000-0000-000000000000/events", "text/event-stream")]
    [InlineData("/v1/jobs/00000000-0000-0000-0000-000000000000/artifacts/nope", "application/octet-stream")]
    [InlineData("/v1/jobs/00000000-0000-0000-0000-000000000000", "text/html")]
    [InlineData("/v1/jobs/not-a-uuid", "text/plain")]
    public async Task A_404_is_a_problem_document_whatever_the_client_accepts(string path, string accept)
    {
        using var client = service.Client();
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Accept.ParseAdd(accept);

        using var response = await client.SendAsync(request);

        Assert.Equal(HttpStatusCode.NotFound, response.StatusCode);
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        var problem = System.Text.Json.JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement;
        Assert.Equal(404, problem.GetProperty("status").GetInt32());
        Assert.False(string.IsNullOrWhiteSpace(problem.Str("detail")));
        Assert.False(string.IsNullOrWhiteSpace(problem.Str("title")));
        Assert.True(problem.TryGetProperty("traceId", out _), problem.ToString());
    }

    [Fact]
    public async Task Requests_on_connections_the_database_ended_are_503_to_retry_not_500()
    {
        using var client = service.Client();
        await ModelAsync(client, 13);
        // What a database restart does to the service's pooled connections: their next use fails (57P01).
        await TestPostgres.ScalarAsync(service.ConnectionString,
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()");

        var statuses = new List<HttpStatusCode>();
        for (var i = 0; i < 10 && statuses.LastOrDefault() != HttpStatusCode.OK; i++)
        {
            using var response = await client.GetAsync("/v1/models");
            statuses.Add(response.StatusCode);
            if (response.StatusCode == HttpStatusCode.ServiceUnavailable)
            {
                Assert.Contains("Retry", (await response.ExpectProblemAsync(HttpStatusCode.ServiceUnavailable)).Str("detail"));
                Assert.NotNull(response.Headers.RetryAfter);
            }
        }
        Assert.All(statuses, s => Assert.True(s is HttpStatusCode.OK or HttpStatusCode.ServiceUnavailable, $"got {s}: {string.Join(", ", statuses)}"));
        Assert.Equal(HttpStatusCode.OK, statuses[^1]);
    }

    [Fact]
    public async Task Invalid_job_requests_are_400_naming_the_field()
    {
        using var client = service.Client();
        var modelId = await ModelAsync(client, 12);

        var unknown = await (await client.PostJsonAsync("/v1/jobs", $$$$"""{"modelId":"{{{{modelId}}}}","recipe":{"weights":{"type":"int8","granularty":"per-channel"}}}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(unknown.GetProperty("errors").TryGetProperty("recipe.weights.granularty", out _), unknown.ToString());

        var both = await (await client.PostJsonAsync("/v1/jobs", $$$"""{"modelId":"{{{modelId}}}","preset":"fp16","recipe":{"preset":"fp16"}}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("preset", both.Str("detail"));

        var unknownPreset = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{modelId}}","preset":"int9"}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(unknownPreset.GetProperty("errors").TryGetProperty("preset", out _), unknownPreset.ToString());
        Assert.StartsWith("preset: unknown preset 'int9'", unknownPreset.Str("detail"));

        // Schema-valid but not a combination static quantization runs: refused before the job is queued.
        var staticInt4 = await (await client.PostJsonAsync("/v1/jobs",
                $$$$"""{"modelId":"{{{{modelId}}}}","recipe":{"preset":"int8-static","weights":{"type":"int4"},"activations":{"type":"int16"}}}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("matmulnbits", staticInt4.GetProperty("errors").GetProperty("recipe.weights.type")[0].GetString());
        Assert.True(staticInt4.GetProperty("errors").TryGetProperty("recipe.activations.type", out _), staticInt4.ToString());

        var badValue = await (await client.PostJsonAsync("/v1/jobs", $$$$"""{"modelId":"{{{{modelId}}}}","recipe":{"weights":{"type":"int9"}}}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(badValue.GetProperty("errors").TryGetProperty("recipe.weights.type", out _));

        var staticOnly = await (await client.PostJsonAsync("/v1/jobs",
                $$$$"""{"modelId":"{{{{modelId}}}}","recipe":{"preset":"int8-dynamic","transforms":["smoothquant"]}}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(staticOnly.GetProperty("errors").TryGetProperty("recipe.transforms", out var why), staticOnly.ToString());
        Assert.Contains("static", why.ToString());

        var topLevel = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{modelId}}","preset":"fp16","colour":"red"}"""))
            .ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.True(topLevel.GetProperty("errors").TryGetProperty("colour", out _));

        var malformed = await (await client.PostJsonAsync("/v1/jobs", """{"modelId": """)).ExpectProblemAsync(HttpStatusCode.BadRequest);
        Assert.Contains("JSON", malformed.Str("detail"));

        using var wrongType = new StringContent("modelId=1", System.Text.Encoding.UTF8, "application/x-www-form-urlencoded");
        await (await client.PostAsync("/v1/jobs", wrongType)).ExpectProblemAsync(HttpStatusCode.UnsupportedMediaType);

        var missing = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{Guid.NewGuid()}}","preset":"fp16"}"""))
            .ExpectProblemAsync(HttpStatusCode.NotFound);
        Assert.Contains("modelId", missing.Str("detail"));
    }

    [Fact]
    public async Task Pool_without_a_live_node_is_409()
    {
        using var client = service.Client();
        var modelId = await ModelAsync(client, 13);
        var problem = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{modelId}}","preset":"fp16","pool":"gpu"}"""))
            .ExpectProblemAsync(HttpStatusCode.Conflict);
        Assert.Contains("gpu", problem.Str("detail"));
    }

    [Fact]
    public async Task Presets_health_and_metrics_answer()
    {
        using var client = service.Client();
        var presets = await client.GetFromJsonAsync<JsonElement>("/v1/presets");
        Assert.Contains(presets.EnumerateArray(), p => p.Str("name") == "int8-static"
            && p.GetProperty("recipe").GetProperty("activations").Str("calibration") == "mse");
        using var anonymous = service.Anonymous();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/live")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/health/ready")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync("/swagger/index.html")).StatusCode);
        // A request the exception handler answers (an unreadable dataset: 400) is counted with the status it got.
        using var garbage = new ByteArrayContent("not a dataset"u8.ToArray());
        garbage.Headers.ContentType = new MediaTypeHeaderValue("application/octet-stream");
        await (await client.PostAsync("/v1/datasets", garbage)).ExpectProblemAsync(HttpStatusCode.BadRequest);
        var metrics = await anonymous.GetStringAsync("/metrics");
        Assert.Matches("qaas_http_requests_total\\{method=\"POST\",route=\"/v1/datasets/?\",status=\"400\"\\} [1-9]", metrics);
        Assert.DoesNotMatch("method=\"POST\",route=\"/v1/datasets/?\",status=\"200\"", metrics);
        Assert.Contains("qaas_queue_depth ", metrics);
        Assert.Contains("qaas_jobs{status=\"succeeded\"}", metrics);
        Assert.Contains("qaas_http_requests_total{method=\"GET\",route=\"/v1/presets\",status=\"200\"}", metrics);
    }

    internal sealed record Sse(long Id, string Type, string Data);

    internal static async Task<List<Sse>> ReadEventsAsync(HttpClient client, string jobId, long? lastEventId)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, $"/v1/jobs/{jobId}/events");
        if (lastEventId is not null) request.Headers.Add("Last-Event-ID", lastEventId.ToString());
        using var response = await client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync());
        var events = new List<Sse>();
        long id = 0; string type = "", data = "";
        while (await reader.ReadLineAsync() is { } line) // the server closes the stream after the final status
        {
            if (line.StartsWith("id: ")) id = long.Parse(line[4..]);
            else if (line.StartsWith("event: ")) type = line[7..];
            else if (line.StartsWith("data: ")) data = line[6..];
            else if (line == "" && type != "") { events.Add(new Sse(id, type, data)); type = ""; }
        }
        return events;
    }
}
