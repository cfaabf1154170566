using Qaas.Runtime.Native;

namespace Qaas.Runtime.Providers;

/// <summary>Appends the CUDA execution provider to native session options. ORT loads
/// libonnxruntime_providers_cuda.so from the core library's folder at this point, so a CPU-only build fails here.</summary>
internal static unsafe class CudaExecutionProvider
{
    /// <summary>Returns null on success, else the reason CUDA is unavailable.</summary>
    public static string? TryAppend(SessionOptionsHandle options, int deviceId)
    {
        using var cudaOptions = new CudaProviderOptionsHandle();
        try
        {
            nint raw;
            OrtStatus.Check(OrtApi.CreateCUDAProviderOptions(&raw));
            cudaOptions.Attach(raw);

            fixed (byte* key = "device_id\0"u8)
            fixed (byte* value = System.Text.Encoding.UTF8.GetBytes(deviceId.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\0"))
            {
                var keys = stackalloc byte*[] { key };
                var values = stackalloc byte*[] { value };
                OrtStatus.Check(OrtApi.UpdateCUDAProviderOptions(raw, keys, values, 1));
            }

            OrtStatus.Check(OrtApi.SessionOptionsAppendExecutionProvider_CUDA_V2(options.DangerousGetHandle(), raw));
            return null;
        }
        catch (OrtException e)
        {
            return e.Message;
        }
    }
}
