using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Qaas.Runtime.Native;

namespace Qaas.Runtime;

/// <summary>The process-wide OrtEnv (ONNX Runtime allows one per process). Its log lines go to <see cref="Logger"/>.</summary>
/// <remarks>The env is never released: sessions may outlive any owner we could pick, and ORT tears it down at exit.</remarks>
public sealed unsafe class OrtEnvironment
{
    private static readonly Lazy<OrtEnvironment> Lazy = new(Create, LazyThreadSafetyMode.ExecutionAndPublication);
    private static volatile ILogger _logger = NullLogger.Instance;
    private static OrtLoggingLevel _minimumLevel = OrtLoggingLevel.Warning;

    private OrtEnvironment(EnvHandle handle, IReadOnlyList<string> availableProviders)
    {
        Handle = handle;
        AvailableProviders = availableProviders;
    }

    /// <summary>The environment, created on first use (loads the library).</summary>
    public static OrtEnvironment Instance
    {
        get
        {
            OrtLibrary.EnsureLoaded();
            return Lazy.Value;
        }
    }

    /// <summary>Where ORT's own log messages go; may be replaced at any time (e.g. once the host's logging is built).</summary>
    public static ILogger Logger
    {
        get => _logger;
        set => _logger = value ?? NullLogger.Instance;
    }

    /// <summary>Severity below which ORT drops messages itself. Only effective before <see cref="Instance"/> is first used.</summary>
    public static OrtLoggingLevel MinimumLevel
    {
        get => _minimumLevel;
        set
        {
            if (Lazy.IsValueCreated)
                throw new InvalidOperationException("The ONNX Runtime environment already exists; set MinimumLevel before first use.");
            _minimumLevel = value;
        }
    }

    /// <summary>The runtime version, e.g. "1.30.0".</summary>
    public string Version => OrtLibrary.Version;

    /// <summary>Execution providers compiled into the loaded library, e.g. "CPUExecutionProvider".</summary>
    public IReadOnlyList<string> AvailableProviders { get; }

    internal EnvHandle Handle { get; }

    private static OrtEnvironment Create()
    {
        var handle = new EnvHandle();
        nint env;
        fixed (byte* logId = "qaas"u8)
            OrtStatus.Check(OrtApi.CreateEnvWithCustomLogger(&OnLog, 0, (int)_minimumLevel, logId, &env));
        handle.Attach(env);
        return new OrtEnvironment(handle, ReadAvailableProviders());
    }

    private static string[] ReadAvailableProviders()
    {
        byte** names;
        int count;
        OrtStatus.Check(OrtApi.GetAvailableProviders(&names, &count));
        try
        {
            var result = new string[count];
            for (var i = 0; i < count; i++)
                result[i] = Marshal.PtrToStringUTF8((nint)names[i]) ?? "";
            return result;
        }
        finally
        {
            OrtStatus.Check(OrtApi.ReleaseAvailableProviders(names, count));
        }
    }

    // A static UnmanagedCallersOnly method has a fixed address, so there is no delegate for the GC to collect.
    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static void OnLog(nint param, int severity, byte* category, byte* logId, byte* codeLocation, byte* message)
    {
        try
        {
            var logger = _logger;
            var level = ToLogLevel((OrtLoggingLevel)severity);
            if (!logger.IsEnabled(level))
                return;
            logger.Log(level, "[onnxruntime {LogId}] {Message} ({CodeLocation})",
                Marshal.PtrToStringUTF8((nint)logId),
                Marshal.PtrToStringUTF8((nint)message),
                Marshal.PtrToStringUTF8((nint)codeLocation));
        }
        catch
        {
            // An exception must never unwind into native code; a lost log line is the lesser harm.
        }
    }

    internal static LogLevel ToLogLevel(OrtLoggingLevel level) => level switch
    {
        OrtLoggingLevel.Verbose => LogLevel.Trace,
        OrtLoggingLevel.Info => LogLevel.Debug,
        OrtLoggingLevel.Warning => LogLevel.Warning,
        OrtLoggingLevel.Error => LogLevel.Error,
        _ => LogLevel.Critical,
    };
}
