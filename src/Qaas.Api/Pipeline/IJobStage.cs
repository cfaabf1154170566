namespace Qaas.Api.Pipeline;

/// <summary>
/// One step of a job's pipeline (load, analyze, transform, calibrate, search, quantize, evaluate, ...).
/// Stages run in the order they are registered as IJobStage in DI (see QaasServices.AddPipeline);
/// they share state through <see cref="JobContext"/> and must honour the token (cancel or node shutdown).
/// </summary>
public interface IJobStage
{
    string Name { get; }
    Task RunAsync(JobContext context, CancellationToken ct);
}
