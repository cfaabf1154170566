using Microsoft.Extensions.Logging.Abstractions;
using Qaas.Runtime.Providers;
using Qaas.Runtime.Sessions;

namespace Qaas.Runtime.Tests.Sessions;

/// <summary>Reads back from ORT what the options builder configured.</summary>
public class NativeSessionOptionsTests
{
    [Fact]
    public void Spinning_and_extra_config_entries_reach_ort()
    {
        OrtEnvironment.Instance.ToString();
        var options = new InferenceSessionOptions
        {
            AllowSpinning = false,
            ExternalDataDirectory = "relative/weights",
            ConfigEntries = new Dictionary<string, string> { ["session.inter_op.allow_spinning"] = "0" },
        };
        using var handle = NativeSessionOptions.Build(options, NullLogger.Instance, out var provider, out var reason);
        Assert.Equal("0", NativeSessionOptions.GetConfigEntry(handle, NativeSessionOptions.AllowSpinningKey));
        Assert.Equal("0", NativeSessionOptions.GetConfigEntry(handle, "session.inter_op.allow_spinning"));
        Assert.Null(NativeSessionOptions.GetConfigEntry(handle, "session.not_set"));
        Assert.Equal(Path.GetFullPath("relative/weights"), NativeSessionOptions.GetConfigEntry(handle, NativeSessionOptions.ExternalDataFolderKey));
        Assert.Equal(ExecutionProviderKind.Cpu, provider);
        Assert.Null(reason);
    }

    [Fact]
    public void Spinning_left_unset_adds_no_entry()
    {
        OrtEnvironment.Instance.ToString();
        using var handle = NativeSessionOptions.Build(new InferenceSessionOptions(), NullLogger.Instance, out _, out _);
        Assert.Null(NativeSessionOptions.GetConfigEntry(handle, NativeSessionOptions.AllowSpinningKey));
    }
}
