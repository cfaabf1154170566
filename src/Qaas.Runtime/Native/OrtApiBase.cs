namespace Qaas.Runtime.Native;

/// <summary>The struct returned by OrtGetApiBase(): the only entry point that is stable across versions.</summary>
internal unsafe struct OrtApiBase
{
    /// <summary>Returns the OrtApi table for a version, or null when the library is older than that version.</summary>
    public delegate* unmanaged[Cdecl]<uint, nint> GetApi;
    public delegate* unmanaged[Cdecl]<byte*> GetVersionString;
}
