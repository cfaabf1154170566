using System.Text;
using Microsoft.Extensions.Logging;
using Qaas.Runtime.Native;
using Qaas.Runtime.Providers;

namespace Qaas.Runtime.Sessions;

/// <summary>Turns <see cref="InferenceSessionOptions"/> into an OrtSessionOptions, choosing the execution provider.</summary>
internal static unsafe class NativeSessionOptions
{
    public const string AllowSpinningKey = "session.intra_op.allow_spinning";
    public const string ExternalDataFolderKey = "session.model_external_initializers_file_folder_path";

    public static SessionOptionsHandle Build(InferenceSessionOptions options, ILogger logger,
        out ExecutionProviderKind provider, out string? fallbackReason)
    {
        var handle = new SessionOptionsHandle();
        try
        {
            nint raw;
            OrtStatus.Check(OrtApi.CreateSessionOptions(&raw));
            handle.Attach(raw);

            if (options.IntraOpThreads > 0)
                OrtStatus.Check(OrtApi.SetIntraOpNumThreads(raw, options.IntraOpThreads));
            if (options.InterOpThreads > 0)
                OrtStatus.Check(OrtApi.SetInterOpNumThreads(raw, options.InterOpThreads));
            OrtStatus.Check(OrtApi.SetSessionGraphOptimizationLevel(raw, (int)options.OptimizationLevel));
            if (options.LogId is { } logId)
                fixed (byte* id = Utf8(logId))
                    OrtStatus.Check(OrtApi.SetSessionLogId(raw, id));
            if (options.LogSeverity is { } severity)
                OrtStatus.Check(OrtApi.SetSessionLogSeverityLevel(raw, (int)severity));
            if (options.ProfileFilePrefix is { } prefix)
                fixed (byte* p = Utf8(prefix)) // ORTCHAR_T is char on Linux and macOS
                    OrtStatus.Check(OrtApi.EnableProfiling(raw, p));
            if (options.AllowSpinning is { } spin)
                AddConfigEntry(raw, AllowSpinningKey, spin ? "1" : "0");
            if (options.ExternalDataDirectory is { } folder)
                AddConfigEntry(raw, ExternalDataFolderKey, Path.GetFullPath(folder));
            foreach (var (key, value) in options.ConfigEntries)
                AddConfigEntry(raw, key, value);

            (provider, fallbackReason) = AppendProvider(handle, options, logger);
            return handle;
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    private static (ExecutionProviderKind, string?) AppendProvider(SessionOptionsHandle handle,
        InferenceSessionOptions options, ILogger logger)
    {
        if (options.ExecutionProvider != ExecutionProviderKind.Cuda)
            return (ExecutionProviderKind.Cpu, null);

        var failure = CudaExecutionProvider.TryAppend(handle, options.CudaDeviceId);
        if (failure is null)
            return (ExecutionProviderKind.Cuda, null);

        logger.LogWarning("CUDA execution provider unavailable, falling back to CPU: {Reason}", failure);
        return (ExecutionProviderKind.Cpu, failure);
    }

    /// <summary>Reads back a session config entry (null when unset); lets tests see what reached ORT.</summary>
    public static string? GetConfigEntry(SessionOptionsHandle handle, string key)
    {
        fixed (byte* k = Utf8(key))
        {
            nuint size = 0;
            // With a null buffer ORT only reports the size (including the NUL); a missing key is an error status.
            var status = OrtApi.GetSessionConfigEntry(handle.DangerousGetHandle(), k, null, &size);
            if (status != 0)
            {
                OrtStatus.ToException(status);
                return null;
            }
            var buffer = new byte[(int)size];
            fixed (byte* b = buffer)
                OrtStatus.Check(OrtApi.GetSessionConfigEntry(handle.DangerousGetHandle(), k, b, &size));
            return Encoding.UTF8.GetString(buffer, 0, Math.Max(0, (int)size - 1));
        }
    }

    private static void AddConfigEntry(nint options, string key, string value)
    {
        fixed (byte* k = Utf8(key))
        fixed (byte* v = Utf8(value))
            OrtStatus.Check(OrtApi.AddSessionConfigEntry(options, k, v));
    }

    internal static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text + "\0");
}
