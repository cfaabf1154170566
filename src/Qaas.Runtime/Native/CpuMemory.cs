namespace Qaas.Runtime.Native;

/// <summary>The process-wide CPU OrtMemoryInfo and ORT's default allocator.</summary>
internal static unsafe class CpuMemory
{
    private const int OrtArenaAllocator = 1;
    private const int OrtMemTypeDefault = 0;

    private static readonly Lazy<MemoryInfoHandle> LazyInfo = new(() =>
    {
        var handle = new MemoryInfoHandle();
        nint info;
        OrtStatus.Check(OrtApi.CreateCpuMemoryInfo(OrtArenaAllocator, OrtMemTypeDefault, &info));
        handle.Attach(info);
        return handle;
    });

    private static readonly Lazy<nint> LazyAllocator = new(() =>
    {
        nint allocator;
        OrtStatus.Check(OrtApi.GetAllocatorWithDefaultOptions(&allocator));
        return allocator;
    });

    public static MemoryInfoHandle Info => LazyInfo.Value;

    /// <summary>Owned by ORT: free what it allocates with <see cref="Free"/>, never release the allocator itself.</summary>
    public static nint DefaultAllocator => LazyAllocator.Value;

    public static void Free(void* pointer)
    {
        if (pointer is not null)
            OrtStatus.Check(OrtApi.AllocatorFree(DefaultAllocator, pointer));
    }
}
