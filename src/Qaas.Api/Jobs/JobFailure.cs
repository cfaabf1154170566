using Microsoft.AspNetCore.Mvc;
using Qaas.Onnx.Io;
using Qaas.Quantization.Datasets;
using Qaas.Quantization.Evaluation;
using Qaas.Quantization.Formats;

namespace Qaas.Api.Jobs;

/// <summary>
/// The problem a failed job reports: the client's own conflicting requests (409), a model or dataset the recipe cannot
/// handle or that ONNX Runtime refuses, or a job past its time limit (422), or the service's failure (500).
/// </summary>
public static class JobFailure
{
    /// <param name="refusal">Why ONNX Runtime refuses the original model itself (<see cref="OriginalModelLoad"/>), if it does.</param>
    public static ProblemDetails Of(Exception e, string? refusal)
    {
        if (e is InputGoneException)
            return Problem("input-gone", "An input of the job was deleted", 409, e.Message);
        if (refusal is not null)
            return Problem("unprocessable-model", "ONNX Runtime cannot use this model as given", 422, refusal);
        // ArithmeticException: .NET's math refusing NaN (e.g. Math.Sign), reached only through non-finite model values.
        return e is NotSupportedException or OnnxFormatException or NonFiniteValueException or ArithmeticException and not OverflowException
            or DatasetFormatException or InputShapeException
            ? Problem("unprocessable-model", "The recipe cannot be applied to this model", 422, e.Message)
            : Problem("job-failed", "Job failed", 500, e.Message);
    }

    /// <summary>A job stopped at the workers' time limit (Qaas:JobTimeout).</summary>
    public static ProblemDetails TimeLimit(TimeSpan limit) => Problem("time-limit", "The job ran out of time", 422,
        $"The job ran longer than the workers' limit of {limit} (Qaas:JobTimeout) and was stopped (a model whose loops or " +
        "shapes make it run very long on the given inputs, or a recipe whose search is too large).");

    /// <summary>A job whose runs kept being cut off (Qaas:MaxJobAttempts): retrying it again would likely take its next worker down too.</summary>
    public static ProblemDetails Interrupted(int runs) => Problem("interrupted", "The job was interrupted too often", 500,
        $"The job was started {runs} times and each run was cut off (its worker stopped, or lost the database, while running it), " +
        "so it is not started again. A model that makes a worker run out of memory does this; if not, submit the job again.");

    private static ProblemDetails Problem(string type, string title, int status, string detail) =>
        new() { Type = $"https://qaas.dev/problems/{type}", Title = title, Status = status, Detail = detail };
}
