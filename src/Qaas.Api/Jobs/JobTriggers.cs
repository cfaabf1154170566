using Quartz;

namespace Qaas.Api.Jobs;

/// <summary>
/// How a QaaS job is put on its pool's Quartz scheduler: a durable, recoverable Quartz job and one trigger. Quartz hands
/// out ready triggers by fire time first and priority second, so a trigger that fires "now" would run before any
/// later-submitted job, whatever its priority. The fire time is therefore set back by a week per priority step above
/// -100: higher priority runs first, equal priority in submission order; the misfire policy is "ignore", so Quartz
/// neither skips nor re-times a trigger whose fire time lies in the past.
/// </summary>
public static class JobTriggers
{
    /// <summary>Job data flag of a trigger that restarts a job whose run was lost (see <see cref="OrphanedJobRecovery"/>).</summary>
    public const string ResumedKey = "resumed";

    private static readonly TimeSpan PriorityStep = TimeSpan.FromDays(7);

    public static IJobDetail Detail(Guid jobId) => JobBuilder.Create<PipelineQuartzJob>().WithIdentity(PipelineQuartzJob.KeyOf(jobId))
        .UsingJobData(PipelineQuartzJob.JobIdKey, jobId.ToString()).StoreDurably().RequestRecovery().Build();

    /// <param name="priority">The job's priority, -100..100.</param>
    /// <param name="submitted">When the job was submitted: its place among jobs of the same priority.</param>
    /// <param name="resumedAfter">For a trigger that restarts a job that had started: the runs it had. Nodes that
    /// find the same lost run name the same trigger, so only one of them schedules it.</param>
    public static ITrigger Trigger(Guid jobId, int priority, DateTimeOffset submitted, int? resumedAfter = null)
    {
        var builder = TriggerBuilder.Create()
            .WithIdentity(resumedAfter is { } runs ? $"{jobId}-resumed-{runs}" : jobId.ToString(), PipelineQuartzJob.Group)
            .ForJob(PipelineQuartzJob.KeyOf(jobId))
            .WithPriority(5 + priority)
            .StartAt(submitted - (Math.Clamp(priority, -100, 100) + 100) * PriorityStep)
            .WithSimpleSchedule(s => s.WithMisfireInstruction(SimpleTriggerMisfireInstruction.IgnoreMisfires));
        if (resumedAfter is not null)
            builder = builder.UsingJobData(ResumedKey, true);
        return builder.Build();
    }
}
