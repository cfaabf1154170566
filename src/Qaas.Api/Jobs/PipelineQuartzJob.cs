using Quartz;

namespace Qaas.Api.Jobs;

/// <summary>The Quartz job behind every QaaS job: durable, RequestRecovery, data = the QaaS job id. Runs the pipeline via <see cref="JobRunner"/>.</summary>
[DisallowConcurrentExecution] // a recovery trigger fired beside a live run waits for it, then finds the job ended
public sealed class PipelineQuartzJob : IJob
{
    public const string JobIdKey = "jobId";
    public const string ServicesKey = "qaas.services";
    public const string Group = "qaas";

    public async ValueTask Execute(IJobExecutionContext context, CancellationToken cancellationToken)
    {
        var services = (IServiceProvider)context.Scheduler.Context[ServicesKey]!;
        var jobId = Guid.Parse(context.MergedJobDataMap.GetString(JobIdKey)!);
        bool resumed = context.MergedJobDataMap.ContainsKey(JobTriggers.ResumedKey);
        await services.GetRequiredService<JobRunner>().RunAsync(jobId, context.Recovering || resumed, cancellationToken);
    }

    public static JobKey KeyOf(Guid jobId) => new(jobId.ToString(), Group);
}
