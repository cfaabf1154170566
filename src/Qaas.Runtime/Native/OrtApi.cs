namespace Qaas.Runtime.Native;

/// <summary>Typed function pointers for the OrtApi entries this binding calls (signatures from onnxruntime_c_api.h 1.30).
/// Handles are <c>nint</c>, <c>size_t</c> is <c>nuint</c>, C enums are <c>int</c>, and every <c>OrtStatus*</c> return is an
/// <c>nint</c> that <see cref="OrtStatus.Check"/> turns into an exception.</summary>
/// <remarks>Touching this class loads the library; public entry points call <see cref="OrtLibrary.EnsureLoaded"/> first so a
/// missing library surfaces as <see cref="OrtLibraryNotFoundException"/> rather than a TypeInitializationException.</remarks>
internal static unsafe class OrtApi
{
    private static nint Fn(OrtApiIndex index) => OrtLibrary.ApiTable[(int)index];

    // Status
    public static readonly delegate* unmanaged[Cdecl]<int, byte*, nint> CreateStatus = (delegate* unmanaged[Cdecl]<int, byte*, nint>)Fn(OrtApiIndex.CreateStatus);
    public static readonly delegate* unmanaged[Cdecl]<nint, int> GetErrorCode = (delegate* unmanaged[Cdecl]<nint, int>)Fn(OrtApiIndex.GetErrorCode);
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*> GetErrorMessage = (delegate* unmanaged[Cdecl]<nint, byte*>)Fn(OrtApiIndex.GetErrorMessage);

    // Environment
    public static readonly delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<nint, int, byte*, byte*, byte*, byte*, void>, nint, int, byte*, nint*, nint> CreateEnvWithCustomLogger =
        (delegate* unmanaged[Cdecl]<delegate* unmanaged[Cdecl]<nint, int, byte*, byte*, byte*, byte*, void>, nint, int, byte*, nint*, nint>)Fn(OrtApiIndex.CreateEnvWithCustomLogger);
    public static readonly delegate* unmanaged[Cdecl]<byte***, int*, nint> GetAvailableProviders = (delegate* unmanaged[Cdecl]<byte***, int*, nint>)Fn(OrtApiIndex.GetAvailableProviders);
    public static readonly delegate* unmanaged[Cdecl]<byte**, int, nint> ReleaseAvailableProviders = (delegate* unmanaged[Cdecl]<byte**, int, nint>)Fn(OrtApiIndex.ReleaseAvailableProviders);

    // Session options
    public static readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateSessionOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)Fn(OrtApiIndex.CreateSessionOptions);
    public static readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionExecutionMode = (delegate* unmanaged[Cdecl]<nint, int, nint>)Fn(OrtApiIndex.SetSessionExecutionMode);
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, nint> EnableProfiling = (delegate* unmanaged[Cdecl]<nint, byte*, nint>)Fn(OrtApiIndex.EnableProfiling);
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, nint> SetSessionLogId = (delegate* unmanaged[Cdecl]<nint, byte*, nint>)Fn(OrtApiIndex.SetSessionLogId);
    public static readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionLogSeverityLevel = (delegate* unmanaged[Cdecl]<nint, int, nint>)Fn(OrtApiIndex.SetSessionLogSeverityLevel);
    public static readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetSessionGraphOptimizationLevel = (delegate* unmanaged[Cdecl]<nint, int, nint>)Fn(OrtApiIndex.SetSessionGraphOptimizationLevel);
    public static readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetIntraOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)Fn(OrtApiIndex.SetIntraOpNumThreads);
    public static readonly delegate* unmanaged[Cdecl]<nint, int, nint> SetInterOpNumThreads = (delegate* unmanaged[Cdecl]<nint, int, nint>)Fn(OrtApiIndex.SetInterOpNumThreads);
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint> AddSessionConfigEntry = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, nint>)Fn(OrtApiIndex.AddSessionConfigEntry);
    public static readonly delegate* unmanaged[Cdecl]<nint, byte*, byte*, nuint*, nint> GetSessionConfigEntry = (delegate* unmanaged[Cdecl]<nint, byte*, byte*, nuint*, nint>)Fn(OrtApiIndex.GetSessionConfigEntry);

    // Execution providers
    public static readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateCUDAProviderOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)Fn(OrtApiIndex.CreateCUDAProviderOptions);
    public static readonly delegate* unmanaged[Cdecl]<nint, byte**, byte**, nuint, nint> UpdateCUDAProviderOptions = (delegate* unmanaged[Cdecl]<nint, byte**, byte**, nuint, nint>)Fn(OrtApiIndex.UpdateCUDAProviderOptions);
    public static readonly delegate* unmanaged[Cdecl]<nint, nint, nint> SessionOptionsAppendExecutionProvider_CUDA_V2 = (delegate* unmanaged[Cdecl]<nint, nint, nint>)Fn(OrtApiIndex.SessionOptionsAppendExecutionProvider_CUDA_V2);

    // Session
    public static readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint> CreateSessionFromArray = (delegate* unmanaged[Cdecl]<nint, void*, nuint, nint, nint*, nint>)Fn(OrtApiIndex.CreateSessionFromArray);
    public static readonly delegate* unmanaged[Cdecl]<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint> Run = (delegate* unmanaged[Cdecl]<nint, nint, byte**, nint*, nuint, byte**, nuint, nint*, nint>)Fn(OrtApiIndex.Run);
    public static readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetInputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)Fn(OrtApiIndex.SessionGetInputCount);
    public static readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> SessionGetOutputCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)Fn(OrtApiIndex.SessionGetOutputCount);
    public static readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetInputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)Fn(OrtApiIndex.SessionGetInputTypeInfo);
    public static readonly delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint> SessionGetOutputTypeInfo = (delegate* unmanaged[Cdecl]<nint, nuint, nint*, nint>)Fn(OrtApiIndex.SessionGetOutputTypeInfo);
    public static readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetInputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)Fn(OrtApiIndex.SessionGetInputName);
    public static readonly delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint> SessionGetOutputName = (delegate* unmanaged[Cdecl]<nint, nuint, nint, byte**, nint>)Fn(OrtApiIndex.SessionGetOutputName);

    // Run options
    public static readonly delegate* unmanaged[Cdecl]<nint*, nint> CreateRunOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)Fn(OrtApiIndex.CreateRunOptions);
    public static readonly delegate* unmanaged[Cdecl]<nint, nint> RunOptionsSetTerminate = (delegate* unmanaged[Cdecl]<nint, nint>)Fn(OrtApiIndex.RunOptionsSetTerminate);

    // Type information
    public static readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> CastTypeInfoToTensorInfo = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)Fn(OrtApiIndex.CastTypeInfoToTensorInfo);
    public static readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetOnnxTypeFromTypeInfo = (delegate* unmanaged[Cdecl]<nint, int*, nint>)Fn(OrtApiIndex.GetOnnxTypeFromTypeInfo);
    public static readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetTensorElementType = (delegate* unmanaged[Cdecl]<nint, int*, nint>)Fn(OrtApiIndex.GetTensorElementType);
    public static readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetDimensionsCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)Fn(OrtApiIndex.GetDimensionsCount);
    public static readonly delegate* unmanaged[Cdecl]<nint, long*, nuint, nint> GetDimensions = (delegate* unmanaged[Cdecl]<nint, long*, nuint, nint>)Fn(OrtApiIndex.GetDimensions);
    public static readonly delegate* unmanaged[Cdecl]<nint, byte**, nuint, nint> GetSymbolicDimensions = (delegate* unmanaged[Cdecl]<nint, byte**, nuint, nint>)Fn(OrtApiIndex.GetSymbolicDimensions);
    public static readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetTensorShapeElementCount = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)Fn(OrtApiIndex.GetTensorShapeElementCount);
    // bool TensorTypeAndShape_HasShape(info): returns the C bool (1 byte) directly, not a status.
    public static readonly delegate* unmanaged[Cdecl]<nint, byte> TensorTypeAndShape_HasShape = (delegate* unmanaged[Cdecl]<nint, byte>)Fn(OrtApiIndex.TensorTypeAndShape_HasShape);

    // Values
    public static readonly delegate* unmanaged[Cdecl]<nint, long*, nuint, int, nint*, nint> CreateTensorAsOrtValue = (delegate* unmanaged[Cdecl]<nint, long*, nuint, int, nint*, nint>)Fn(OrtApiIndex.CreateTensorAsOrtValue);
    public static readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint> CreateTensorWithDataAsOrtValue = (delegate* unmanaged[Cdecl]<nint, void*, nuint, long*, nuint, int, nint*, nint>)Fn(OrtApiIndex.CreateTensorWithDataAsOrtValue);
    public static readonly delegate* unmanaged[Cdecl]<nint, int*, nint> GetValueType = (delegate* unmanaged[Cdecl]<nint, int*, nint>)Fn(OrtApiIndex.GetValueType);
    public static readonly delegate* unmanaged[Cdecl]<nint, nint*, nint> GetTensorTypeAndShape = (delegate* unmanaged[Cdecl]<nint, nint*, nint>)Fn(OrtApiIndex.GetTensorTypeAndShape);
    public static readonly delegate* unmanaged[Cdecl]<nint, void**, nint> GetTensorMutableData = (delegate* unmanaged[Cdecl]<nint, void**, nint>)Fn(OrtApiIndex.GetTensorMutableData);
    public static readonly delegate* unmanaged[Cdecl]<nint, byte**, nuint, nint> FillStringTensor = (delegate* unmanaged[Cdecl]<nint, byte**, nuint, nint>)Fn(OrtApiIndex.FillStringTensor);
    public static readonly delegate* unmanaged[Cdecl]<nint, nuint*, nint> GetStringTensorDataLength = (delegate* unmanaged[Cdecl]<nint, nuint*, nint>)Fn(OrtApiIndex.GetStringTensorDataLength);
    public static readonly delegate* unmanaged[Cdecl]<nint, void*, nuint, nuint*, nuint, nint> GetStringTensorContent = (delegate* unmanaged[Cdecl]<nint, void*, nuint, nuint*, nuint, nint>)Fn(OrtApiIndex.GetStringTensorContent);

    // Memory
    public static readonly delegate* unmanaged[Cdecl]<int, int, nint*, nint> CreateCpuMemoryInfo = (delegate* unmanaged[Cdecl]<int, int, nint*, nint>)Fn(OrtApiIndex.CreateCpuMemoryInfo);
    public static readonly delegate* unmanaged[Cdecl]<nint*, nint> GetAllocatorWithDefaultOptions = (delegate* unmanaged[Cdecl]<nint*, nint>)Fn(OrtApiIndex.GetAllocatorWithDefaultOptions);
    public static readonly delegate* unmanaged[Cdecl]<nint, void*, nint> AllocatorFree = (delegate* unmanaged[Cdecl]<nint, void*, nint>)Fn(OrtApiIndex.AllocatorFree);

    // Release functions (return void)
    public static readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseEnv = (delegate* unmanaged[Cdecl]<nint, void>)Fn(OrtApiIndex.ReleaseEnv);
    public static readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseStatus = (delegate* unmanaged[Cdecl]<nint, void>)Fn(OrtApiIndex.ReleaseStatus);
    public static readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseMemoryInfo = (delegate* unmanaged[Cdecl]<nint, void>)Fn(OrtApiIndex.ReleaseMemoryInfo);
    public static readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSession = (delegate* unmanaged[Cdecl]<nint, void>)Fn(OrtApiIndex.ReleaseSession);
    public static readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseValue = (delegate* unmanaged[Cdecl]<nint, void>)Fn(OrtApiIndex.ReleaseValue);
    public static readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseRunOptions = (delegate* unmanaged[Cdecl]<nint, void>)Fn(OrtApiIndex.ReleaseRunOptions);
    public static readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTypeInfo = (delegate* unmanaged[Cdecl]<nint, void>)Fn(OrtApiIndex.ReleaseTypeInfo);
    public static readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseTensorTypeAndShapeInfo = (delegate* unmanaged[Cdecl]<nint, void>)Fn(OrtApiIndex.ReleaseTensorTypeAndShapeInfo);
    public static readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseSessionOptions = (delegate* unmanaged[Cdecl]<nint, void>)Fn(OrtApiIndex.ReleaseSessionOptions);
    public static readonly delegate* unmanaged[Cdecl]<nint, void> ReleaseCUDAProviderOptions = (delegate* unmanaged[Cdecl]<nint, void>)Fn(OrtApiIndex.ReleaseCUDAProviderOptions);
}
