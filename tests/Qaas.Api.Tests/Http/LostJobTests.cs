using System.Net;
using Npgsql;
using Qaas.Api.Tests.Infrastructure;

namespace Qaas.Api.Tests.Http;

/// <summary>
/// Jobs that nothing would run any more, as a database outage leaves them (a run that could not record its end stays
/// "running", a firing that failed before its claim leaves the job "queued", and either way Quartz's trigger is used
/// up), are found by the workers' recovery sweep and run; and priority orders the queue.
/// </summary>
public sealed class LostJobTests(LostJobService service) : IClassFixture<LostJobService>
{
    [Theory]
    [InlineData("queued", 0)]  // its start failed before the claim
    [InlineData("running", 1)] // its run could not record its end
    public async Task A_job_nothing_would_run_is_run(string status, int runs)
    {
        using var client = service.Client();
        var lost = await LostCopyAsync(client, status, runs);

        var done = await EndedAsync(client, lost);

        Assert.Equal("succeeded", done.Str("status"));
        Assert.Equal(runs + 1, await TestPostgres.ScalarAsync(service.ConnectionString, $"SELECT attempts FROM jobs WHERE id = '{lost}'"));
        var events = await JobsTests.ReadEventsAsync(client, lost, null);
        Assert.Equal(runs > 0, events.Any(e => e.Type == "log" && e.Data.Contains("restarted")));
    }

    [Fact]
    public async Task A_restarted_run_updates_the_model_its_earlier_run_registered()
    {
        using var client = service.Client();
        var lost = await LostCopyAsync(client, "running", runs: 1);
        // The earlier run got as far as registering its result model, then lost its node.
        var earlier = Guid.NewGuid();
        await TestPostgres.ScalarAsync(service.ConnectionString, $"""
            INSERT INTO models (id, tenant_id, name, blob_sha256, size_bytes, description, parent_model_id, job_id)
            SELECT '{earlier}', tenant_id, 'earlier-run', blob_sha256, size_bytes, description, parent_model_id, '{lost}'
            FROM models WHERE job_id IS NOT NULL LIMIT 1 RETURNING 1
            """);

        var done = await EndedAsync(client, lost);

        Assert.Equal("succeeded", done.Str("status"));
        Assert.Equal(earlier.ToString(), done.GetProperty("metrics").Str("resultModelId"));
        Assert.Equal(1, await TestPostgres.ScalarAsync(service.ConnectionString, $"SELECT count(*) FROM models WHERE job_id = '{lost}'"));
    }

    [Fact]
    public async Task Cancelling_a_running_job_whose_pool_has_no_live_worker_ends_it_at_once()
    {
        using var client = service.Client();
        // Running on the gpu pool, whose only node died: no worker polls its cancel flag.
        var stranded = await LostCopyAsync(client, "running", runs: 1, pool: "gpu");

        var cancelled = await (await client.PostAsync($"/v1/jobs/{stranded}/cancel", null)).ExpectJsonAsync(HttpStatusCode.Accepted);

        Assert.Equal("cancelled", cancelled.Str("status"));
        var events = await JobsTests.ReadEventsAsync(client, stranded, null);
        Assert.Contains("cancelled", events[^1].Data);
    }

    [Fact]
    public async Task A_restarted_run_takes_the_calibration_its_earlier_run_measured()
    {
        using var client = service.Client();
        var mlp = Google.Protobuf.MessageExtensions.ToByteArray(ModelBuilder.Mlp()); // input x into MatMuls with weights
        var (original, lost) = await LostCopyWithOriginalAsync(client, "running", runs: 1, model: mlp, preset: "int8-static");
        // The first run kept its calibration; the restarted one gets a copy in which input x's range is [-1000, 1000].
        Assert.Equal(1, await TestPostgres.ScalarAsync(service.ConnectionString, $$"""
            INSERT INTO job_checkpoints (job_id, name, payload)
            SELECT '{{lost}}', name, jsonb_set(payload, '{ranges,x}', '[-1000, 1000]') FROM job_checkpoints
            WHERE job_id = '{{original}}' AND name = 'quantize' AND payload->'ranges' ? 'x' RETURNING 1
            """));

        var done = await EndedAsync(client, lost);

        Assert.Equal("succeeded", done.Str("status"));
        var events = await JobsTests.ReadEventsAsync(client, lost, null);
        Assert.Contains(events, e => e.Type == "log" && e.Data.Contains("Resuming with"));
        Assert.DoesNotContain(events, e => e.Type == "progress" && e.Data.Contains("calibrat", StringComparison.OrdinalIgnoreCase));
        var model = Qaas.Onnx.Proto.ModelProto.Parser.ParseFrom(await client.GetByteArrayAsync($"/v1/jobs/{lost}/artifacts/model.onnx"));
        var scale = model.Graph.Initializer.Single(t => t.Name == "x_scale");
        Assert.Equal(2000f / 255, Qaas.Onnx.Graph.TensorData.ReadAsFloat(scale)[0], 3); // the saved range, not a fresh calibration
    }

    [Fact]
    public async Task A_cancel_that_no_worker_will_read_ends_the_job_at_the_next_sweep()
    {
        using var client = service.Client();
        // Cancelled while its pool's only worker had just died (still counted live then): the flag is set, nobody reads it.
        var stranded = await LostCopyAsync(client, "running", runs: 1, pool: "gpu");
        await TestPostgres.ScalarAsync(service.ConnectionString, $"UPDATE jobs SET cancel_requested = true WHERE id = '{stranded}' RETURNING 1");

        var done = await EndedAsync(client, stranded);

        Assert.Equal("cancelled", done.Str("status"));
        Assert.Contains("cancelled", (await JobsTests.ReadEventsAsync(client, stranded, null))[^1].Data);
    }

    [Fact]
    public async Task Folders_of_ended_jobs_are_removed_and_those_of_running_ones_kept()
    {
        using var client = service.Client();
        var (ended, running) = await LostCopyWithOriginalAsync(client, "running", runs: 1, pool: "gpu"); // the copy stays running
        string Folder(string id) => Path.Combine(service.DataDirectory, "work", "job-" + Guid.Parse(id).ToString("N"));
        foreach (var id in new[] { ended, running })
        {
            Directory.CreateDirectory(Path.Combine(Folder(id), "original")); // what a run killed with its node leaves
            await File.WriteAllTextAsync(Path.Combine(Folder(id), "original", "model.onnx"), "a tenant's model");
            Directory.SetLastWriteTimeUtc(Folder(id), DateTime.UtcNow.AddMinutes(-5));
        }

        var deadline = DateTime.UtcNow.AddSeconds(30);
        while (Directory.Exists(Folder(ended)) && DateTime.UtcNow < deadline)
            await Task.Delay(250);

        Assert.False(Directory.Exists(Folder(ended)));
        Assert.True(Directory.Exists(Folder(running)));
    }

    [Fact]
    public async Task A_job_cut_off_as_often_as_allowed_fails_instead_of_running_again()
    {
        using var client = service.Client();
        var lost = await LostCopyAsync(client, "running", runs: 3);

        var done = await EndedAsync(client, lost);
        Assert.Equal("failed", done.Str("status"));
        var error = done.GetProperty("error");
        Assert.Equal(500, error.GetProperty("status").GetInt32());
        Assert.Contains("started 3 times", error.Str("detail"));
        Assert.Equal(0, await TestPostgres.ScalarAsync(service.ConnectionString,
            $"SELECT count(*) FROM job_events WHERE job_id = '{lost}' AND (type = 'progress' OR payload->>'status' = 'running')")); // it did not start again
        Assert.Equal(3, await TestPostgres.ScalarAsync(service.ConnectionString, $"SELECT attempts FROM jobs WHERE id = '{lost}'"));
    }

    [Fact]
    public async Task A_higher_priority_job_runs_before_earlier_ones_and_equal_ones_in_order()
    {
        using var client = service.Client();
        var model = await client.UploadModelAsync(TinyOnnx.Relu(9));
        async Task<string> SubmitAsync(int priority) => (await (await client.PostJsonAsync("/v1/jobs",
            $$"""{"modelId":"{{model.Str("id")}}","preset":"fp16","priority":{{priority}}}""")).ExpectJsonAsync(HttpStatusCode.Accepted)).Str("id");

        var busy = await SubmitAsync(0);
        await client.WaitForJobAsync(busy, j => j.Str("status") == "running", TimeSpan.FromSeconds(30)); // the one worker is taken
        var first = await SubmitAsync(0);
        var second = await SubmitAsync(0);
        var urgent = await SubmitAsync(100);
        foreach (var id in new[] { first, second, urgent })
            Assert.Equal("succeeded", (await client.WaitForJobAsync(id, j => j.Str("status") is "succeeded" or "failed", TimeSpan.FromSeconds(60))).Str("status"));

        async Task<bool> StartedBeforeAsync(string a, string b) => await TestPostgres.ScalarAsync(service.ConnectionString,
            $"SELECT ((SELECT started_at FROM jobs WHERE id = '{a}') < (SELECT started_at FROM jobs WHERE id = '{b}'))::int") == 1;
        Assert.True(await StartedBeforeAsync(urgent, first), "priority 100 should start before the earlier priority-0 jobs");
        Assert.True(await StartedBeforeAsync(first, second), "equal priorities should start in submission order");
    }

    private static Task<System.Text.Json.JsonElement> EndedAsync(HttpClient client, string id) =>
        client.WaitForJobAsync(id, j => j.Str("status") is "succeeded" or "failed" or "cancelled", TimeSpan.FromSeconds(60));

    /// <summary>
    /// A finished job's row copied as a job left <paramref name="status"/> after <paramref name="runs"/> runs, untouched
    /// for a minute, with no Quartz trigger: what a run that lost the database leaves behind.
    /// </summary>
    private async Task<string> LostCopyAsync(HttpClient client, string status, int runs, string pool = "cpu") =>
        (await LostCopyWithOriginalAsync(client, status, runs, pool)).Lost;

    private async Task<(string Original, string Lost)> LostCopyWithOriginalAsync(HttpClient client, string status, int runs, string pool = "cpu",
        byte[]? model = null, string preset = "fp16")
    {
        var uploaded = await client.UploadModelAsync(model ?? TinyOnnx.Relu(8));
        var original = await (await client.PostJsonAsync("/v1/jobs", $$"""{"modelId":"{{uploaded.Str("id")}}","preset":"{{preset}}"}"""))
            .ExpectJsonAsync(HttpStatusCode.Accepted);
        await client.WaitForJobAsync(original.Str("id"), j => j.Str("status") == "succeeded", TimeSpan.FromSeconds(40));
        var copy = Guid.NewGuid().ToString();
        await using var conn = new NpgsqlConnection(service.ConnectionString);
        await conn.OpenAsync();
        await using var cmd = new NpgsqlCommand("""
            INSERT INTO jobs
            SELECT (jsonb_populate_record(NULL::jobs, to_jsonb(j) || jsonb_build_object(
                'id', @copy, 'status', @status, 'attempts', @runs, 'pool', @pool, 'idempotency_key', NULL, 'error', NULL, 'finished_at', NULL,
                'started_at', CASE WHEN @runs > 0 THEN now() - interval '1 minute' END, 'progress', 0, 'stage', NULL,
                'created_at', now() - interval '1 minute', 'updated_at', now() - interval '1 minute'))).*
            FROM jobs j WHERE j.id = @original
            """, conn);
        cmd.Parameters.AddWithValue("copy", copy);
        cmd.Parameters.AddWithValue("status", status);
        cmd.Parameters.AddWithValue("runs", runs);
        cmd.Parameters.AddWithValue("pool", pool);
        cmd.Parameters.AddWithValue("original", Guid.Parse(original.Str("id")));
        Assert.Equal(1, await cmd.ExecuteNonQueryAsync());
        return (original.Str("id"), copy);
    }
}
