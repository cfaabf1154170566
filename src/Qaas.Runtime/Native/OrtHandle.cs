using System.Runtime.InteropServices;

namespace Qaas.Runtime.Native;

/// <summary>Owns one native ONNX Runtime object; subclasses name the matching Release function.</summary>
internal abstract class OrtHandle : SafeHandle
{
    protected OrtHandle() : base(0, ownsHandle: true) { }

    protected OrtHandle(nint existing) : base(0, ownsHandle: true) => SetHandle(existing);

    public override bool IsInvalid => handle == 0;

    /// <summary>Takes ownership of a pointer an ORT create function wrote to its out parameter.</summary>
    public void Attach(nint value)
    {
        if (!IsInvalid)
            throw new InvalidOperationException("Handle already owns an object.");
        SetHandle(value);
    }
}
