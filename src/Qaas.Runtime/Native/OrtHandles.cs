namespace Qaas.Runtime.Native;

// One SafeHandle per native object kind, each releasing through its own OrtApi Release* entry.

internal sealed unsafe class StatusHandle : OrtHandle
{
    public StatusHandle(nint status) : base(status) { }
    protected override bool ReleaseHandle() { OrtApi.ReleaseStatus(handle); return true; }
}

internal sealed unsafe class EnvHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtApi.ReleaseEnv(handle); return true; }
}

internal sealed unsafe class SessionOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtApi.ReleaseSessionOptions(handle); return true; }
}

internal sealed unsafe class SessionHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtApi.ReleaseSession(handle); return true; }
}

internal sealed unsafe class RunOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtApi.ReleaseRunOptions(handle); return true; }
}

internal sealed unsafe class ValueHandle : OrtHandle
{
    public ValueHandle() { }
    public ValueHandle(nint value) : base(value) { }
    protected override bool ReleaseHandle() { OrtApi.ReleaseValue(handle); return true; }
}

internal sealed unsafe class MemoryInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtApi.ReleaseMemoryInfo(handle); return true; }
}

internal sealed unsafe class TypeInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtApi.ReleaseTypeInfo(handle); return true; }
}

internal sealed unsafe class TensorTypeAndShapeInfoHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtApi.ReleaseTensorTypeAndShapeInfo(handle); return true; }
}

internal sealed unsafe class CudaProviderOptionsHandle : OrtHandle
{
    protected override bool ReleaseHandle() { OrtApi.ReleaseCUDAProviderOptions(handle); return true; }
}
