using Qaas.Quantization.Recipes;
using Qaas.Runtime.Providers;
using Qaas.Runtime.Sessions;

namespace Qaas.Quantization.Evaluation;

/// <summary>
/// How evaluation sessions run: intra-op threads (0 = ORT's default) and execution provider. Both models get the
/// same settings. Spinning is off because two sessions share the process and an idle spinning pool steals the
/// other session's cores (ENVIRONMENT.md).
/// </summary>
public sealed record EvaluationRuntime(int Threads = 1, ExecutionProviderKind ExecutionProvider = ExecutionProviderKind.Cpu)
{
    public static EvaluationRuntime From(EvaluationSpec? spec) => new(
        spec?.Threads ?? 1,
        spec?.ExecutionProvider is { } ep ? ExecutionProviderNames.Parse(ep) : ExecutionProviderKind.Cpu);

    public InferenceSessionOptions SessionOptions(string? externalDataDirectory = null) => new()
    {
        IntraOpThreads = Threads,
        InterOpThreads = 1,
        AllowSpinning = false,
        ExecutionProvider = ExecutionProvider,
        ExternalDataDirectory = externalDataDirectory,
    };
}
