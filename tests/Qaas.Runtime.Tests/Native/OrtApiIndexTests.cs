using System.Runtime.InteropServices;
using Qaas.Runtime.Native;

namespace Qaas.Runtime.Tests.Native;

/// <summary>Checks the generated OrtApiIndex against the loaded binary: a wrong count or order would call the wrong function.</summary>
public unsafe class OrtApiIndexTests
{
    [Fact]
    public void Enum_has_426_contiguous_entries()
    {
        var values = Enum.GetValues<OrtApiIndex>().Select(v => (int)v).Order().ToArray();
        Assert.Equal(OrtApiIndexCount.Value, values.Length);
        Assert.Equal(Enumerable.Range(0, OrtApiIndexCount.Value), values);
        Assert.Equal(20, Enum.GetValues<OrtModelEditorApiIndex>().Length);
    }

    [Fact]
    public void Api_version_30_is_the_newest_the_binary_accepts()
    {
        OrtLibrary.EnsureLoaded();
        Assert.True(OrtLibrary.ApiBase->GetApi(30) != 0);
        Assert.Equal(0, OrtLibrary.ApiBase->GetApi(31));
    }

    [Fact]
    public void Table_has_exactly_426_entries_followed_by_OrtApiBase()
    {
        OrtLibrary.EnsureLoaded();
        var table = OrtLibrary.ApiTable;
        for (var i = 0; i < OrtApiIndexCount.Value; i++)
            Assert.True(table[i] != 0, $"entry {i} ({(OrtApiIndex)i}) is null");
        // In this build the linker places the static OrtApiBase struct directly after the OrtApi struct,
        // so the 427th slot is GetApi: a table one entry longer or shorter than ours would fail here.
        Assert.Equal((nint)OrtLibrary.ApiBase, (nint)(table + OrtApiIndexCount.Value));
        Assert.Equal((nint)OrtLibrary.ApiBase->GetApi, table[OrtApiIndexCount.Value]);
    }

    [Fact]
    public void Status_entries_at_their_indices_round_trip_code_and_message()
    {
        OrtLibrary.EnsureLoaded();
        nint status;
        fixed (byte* message = "index check\0"u8)
            status = OrtApi.CreateStatus((int)OrtErrorCode.NotImplemented, message);
        var exception = OrtStatus.ToException(status);
        Assert.Equal(OrtErrorCode.NotImplemented, exception.ErrorCode);
        Assert.Equal("index check", exception.OrtMessage);
    }

    [Fact]
    public void Build_info_entry_near_the_end_of_the_table_answers()
    {
        OrtLibrary.EnsureLoaded();
        // const char* GetBuildInfoString(void): a string owned by the library.
        var getBuildInfo = (delegate* unmanaged[Cdecl]<byte*>)OrtLibrary.ApiTable[(int)OrtApiIndex.GetBuildInfoString];
        Assert.StartsWith("ORT Build Info:", Marshal.PtrToStringUTF8((nint)getBuildInfo()));
    }
}
