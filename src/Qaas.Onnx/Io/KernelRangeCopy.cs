using System.Runtime.InteropServices;
using Microsoft.Win32.SafeHandles;

namespace Qaas.Onnx.Io;

/// <summary>
/// Copies a byte range from one file into another inside the kernel (Linux copy_file_range, what cp uses): external
/// weights that a save writes back unchanged never pass through user memory. Elsewhere, or when the kernel refuses
/// (other file system, old kernel), the caller falls back to a stream copy.
/// </summary>
internal static partial class KernelRangeCopy
{
    /// <summary>Appends <paramref name="length"/> bytes of <paramref name="sourcePath"/> from <paramref name="offset"/> at <paramref name="target"/>'s position.</summary>
    /// <returns>False when nothing was copied and the caller should copy another way.</returns>
    public static bool TryAppend(string sourcePath, long offset, long length, FileStream target)
    {
        if (!OperatingSystem.IsLinux() || length == 0) return false;
        target.Flush(); // buffered bytes first, so the file's end is where the range goes
        using var source = File.OpenHandle(sourcePath, FileMode.Open, FileAccess.Read, FileShare.Read);
        long inOffset = offset, outOffset = target.Position, left = length;
        while (left > 0)
        {
            var n = CopyFileRange(source, ref inOffset, target.SafeFileHandle, ref outOffset, (nuint)Math.Min(left, 1L << 30), 0);
            if (n <= 0)
            {
                if (left == length) return false; // refused up front (e.g. EXDEV, ENOSYS): nothing written
                throw new IOException($"copy_file_range stopped with {left} of {length} bytes of '{sourcePath}' left (errno {Marshal.GetLastPInvokeError()})");
            }
            left -= n;
        }
        target.Seek(length, SeekOrigin.Current);
        return true;
    }

    [LibraryImport("libc", EntryPoint = "copy_file_range", SetLastError = true)]
    private static partial nint CopyFileRange(SafeFileHandle fdIn, ref long offIn, SafeFileHandle fdOut, ref long offOut, nuint length, uint flags);
}
