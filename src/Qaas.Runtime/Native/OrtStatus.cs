using System.Runtime.InteropServices;

namespace Qaas.Runtime.Native;

/// <summary>Turns the OrtStatus* every API call returns into an <see cref="OrtException"/>.</summary>
internal static unsafe class OrtStatus
{
    public static void Check(nint status)
    {
        if (status == 0)
            return;
        throw ToException(status);
    }

    /// <summary>Takes ownership of <paramref name="status"/>, copies code and message, and releases it.</summary>
    public static OrtException ToException(nint status)
    {
        using var owned = new StatusHandle(status);
        var code = (OrtErrorCode)OrtApi.GetErrorCode(status);
        // The message lives inside the status: copy it before the handle releases the status.
        var message = Marshal.PtrToStringUTF8((nint)OrtApi.GetErrorMessage(status)) ?? "(no message)";
        return new OrtException(code, message);
    }
}
