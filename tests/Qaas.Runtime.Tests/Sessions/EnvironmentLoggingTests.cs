using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tests.Infrastructure;
using Xunit.Abstractions;

namespace Qaas.Runtime.Tests.Sessions;

public class EnvironmentLoggingTests(ITestOutputHelper output)
{
    [Fact]
    public void Ort_log_lines_reach_the_configured_logger()
    {
        var logger = new RecordingLogger();
        OrtEnvironment.Logger = logger;
        try
        {
            using var session = InferenceSession.Create(File.ReadAllBytes(TestModels.NodeModelPath("test_relu")),
                TestModels.SingleThread with { LogSeverity = OrtLoggingLevel.Verbose, LogId = "logging-test" });
        }
        finally
        {
            OrtEnvironment.Logger = null!;
        }
        foreach (var e in logger.Entries.Take(5))
            output.WriteLine($"{e.Level}: {e.Message}");
        // Other tests may log concurrently; this session's lines carry its log id.
        Assert.Contains(logger.Entries, e => e.Message.StartsWith("[onnxruntime logging-test]") && e.Message.Contains("Initializing session"));
    }
}
