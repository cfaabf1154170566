using Qaas.Api.Inspection;

namespace Qaas.Api.Pipeline.Stages;

/// <summary>Describes the original model (opsets, inputs/outputs, parameters, op counts) for the report.</summary>
public sealed class AnalyzeStage(IModelInspector inspector) : IJobStage
{
    public string Name => "analyze";

    public async Task RunAsync(JobContext context, CancellationToken ct)
    {
        var path = context.ModelPath ?? throw new InvalidOperationException("The load stage did not run.");
        context.Original = await inspector.InspectAsync(path, ct);
        await context.Reporter.LogAsync("info",
            $"{context.Original.OpCounts.Values.Sum()} nodes, {context.Original.ParameterCount} parameters, {context.Original.Inputs.Count} input(s).", ct);
        await context.Reporter.ProgressAsync(1, ct);
    }
}
