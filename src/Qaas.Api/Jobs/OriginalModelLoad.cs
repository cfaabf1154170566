using Qaas.Runtime;
using Qaas.Runtime.Sessions;

namespace Qaas.Api.Jobs;

/// <summary>
/// Tells, after a job failed on an ONNX Runtime error, whether ONNX Runtime cannot load the uploaded model itself
/// (the input's problem: an unknown operator, an invalid graph) or whether the failure came from what the job made
/// of it (ours). Only runs on that failure path, so a healthy job pays nothing for it.
/// </summary>
public static class OriginalModelLoad
{
    /// <returns>ONNX Runtime's reason for refusing the model, or null when it loads (or when the check itself cannot
    /// run, e.g. a main file too large to read at once: the failure then stays the service's).</returns>
    public static string? Refusal(string modelPath)
    {
        try
        {
            using var session = InferenceSession.Create(File.ReadAllBytes(modelPath),
                new InferenceSessionOptions { IntraOpThreads = 1, ExternalDataDirectory = Path.GetDirectoryName(modelPath) });
            return null;
        }
        catch (OrtException e)
        {
            return e.OrtMessage;
        }
        catch (Exception e) when (e is IOException or OutOfMemoryException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
