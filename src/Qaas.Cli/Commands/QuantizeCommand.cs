using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Qaas.Cli.Gates;

namespace Qaas.Cli.Commands;

/// <summary>qaas quantize model.onnx --preset p | --recipe r.json [...] [--wait [--gate name=value ...]]</summary>
public static class QuantizeCommand
{
    public static readonly IReadOnlySet<string> Options = new HashSet<string>
        { "preset", "recipe", "calibration", "evaluation", "input-shape", "pool", "out", "wait", "gate", "json", "timeout" };

    public static async Task<int> RunAsync(CommandContext c, CancellationToken ct)
    {
        var a = c.Args;
        var modelPath = a.Positional(1, "model file (qaas quantize <model.onnx> ...)");
        var preset = a.Single("preset");
        var recipePath = a.Single("recipe");
        if ((preset is null) == (recipePath is null)) throw new UsageException("Give exactly one of --preset or --recipe.");
        var gates = a.All("gate").Select(Gate.Parse).ToList();
        if (gates.Count > 0 && !a.Flag("wait")) throw new UsageException("--gate needs --wait.");
        if (a.Single("timeout") is not null && !a.Flag("wait")) throw new UsageException("--timeout needs --wait.");
        WaitCommand.CheckOptions(c);
        foreach (var path in new[] { modelPath, recipePath, a.Single("calibration"), a.Single("evaluation") }.OfType<string>())
            if (!File.Exists(path)) throw new UsageException($"File not found: {path}");

        var request = new JsonObject();
        if (preset is not null) request["preset"] = preset;
        if (recipePath is not null)
        {
            try { request["recipe"] = JsonNode.Parse(await File.ReadAllTextAsync(recipePath, ct)); }
            catch (JsonException e) { throw new UsageException($"{recipePath} is not valid JSON: {e.Message}"); }
        }
        var shapes = ParseShapes(a.All("input-shape"));
        if (shapes is not null) request["inputShapes"] = shapes;
        if (a.Single("pool") is { } pool) request["pool"] = pool;

        // What this command uploads is removed again if the job is refused (an unknown preset, a dataset that does not
        // fit the model): a failed command leaves nothing behind.
        var uploaded = new List<string>();
        Client.Job job;
        try
        {
            var model = await c.Client.UploadModelAsync(modelPath, ct);
            var modelId = model.GetProperty("id").GetString();
            uploaded.Add($"/v1/models/{modelId}");
            request["modelId"] = modelId;
            if (!c.Json) c.Out.WriteLine($"Uploaded model {modelId}");
            foreach (var (option, field) in new[] { ("calibration", "calibrationDatasetId"), ("evaluation", "evaluationDatasetId") })
                if (a.Single(option) is { } datasetPath)
                {
                    var datasetId = (await c.Client.UploadDatasetAsync(datasetPath, ct)).GetProperty("id").GetString();
                    uploaded.Add($"/v1/datasets/{datasetId}");
                    request[field] = datasetId;
                }
            job = await c.Client.SubmitJobAsync(request, ct);
        }
        catch (Client.ApiException)
        {
            foreach (var path in Enumerable.Reverse(uploaded))
                await c.Client.DeleteAsync(path, CancellationToken.None);
            if (uploaded.Count > 0 && !c.Json) c.Out.WriteLine($"Removed what this command uploaded ({uploaded.Count} item(s)).");
            throw;
        }
        if (!a.Flag("wait"))
        {
            c.Out.WriteLine(c.Json ? job.Raw.ToString() : $"Submitted job {job.Id} ({job.Status})");
            return ExitCodes.Ok;
        }
        if (!c.Json) c.Out.WriteLine($"Submitted job {job.Id}; waiting...");
        return await WaitCommand.FinishAsync(c, job.Id.ToString(), gates, ct);
    }

    /// <summary>"--input-shape x=1,3,640,640" (repeatable) -> {"x":[1,3,640,640]}.</summary>
    private static JsonObject? ParseShapes(IReadOnlyList<string> specs)
    {
        if (specs.Count == 0) return null;
        var shapes = new JsonObject();
        foreach (var spec in specs)
        {
            var eq = spec.LastIndexOf('=');
            if (eq <= 0) throw new UsageException($"--input-shape '{spec}' must look like name=1,3,224,224.");
            var dims = new JsonArray();
            foreach (var d in spec[(eq + 1)..].Split(',', StringSplitOptions.TrimEntries))
                dims.Add(long.TryParse(d, NumberStyles.None, CultureInfo.InvariantCulture, out var v) && v > 0
                    ? v : throw new UsageException($"--input-shape '{spec}': '{d}' is not a positive integer."));
            shapes[spec[..eq]] = dims;
        }
        return shapes;
    }
}
