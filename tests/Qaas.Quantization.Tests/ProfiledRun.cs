using Google.Protobuf;
using Qaas.Onnx.Proto;
using Qaas.Runtime.Profiling;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Quantization.Tests;

/// <summary>One single-threaded run with ONNX Runtime's profiler on: the first output, and the kernels ORT ran (after
/// its own graph rewrites and fusions) by node name, with their op types.</summary>
internal static class ProfiledRun
{
    public static (float[] Output, Dictionary<string, string> Kernels) Of(ModelProto model, IReadOnlyDictionary<string, Tensor> input)
    {
        var folder = Directory.CreateTempSubdirectory("qaas-profile");
        try
        {
            var options = new InferenceSessionOptions { IntraOpThreads = 1, AllowSpinning = false, ProfileFilePrefix = Path.Combine(folder.FullName, "run") };
            float[] output;
            using (var session = InferenceSession.Create(model.ToByteArray(), options)) // disposing writes the profile
                output = session.Run(input)[session.Outputs[0].Name].ToArray<float>();
            var kernels = KernelProfile.Kernels(Directory.GetFiles(folder.FullName, "run*.json").Single());
            return (output, kernels.ToDictionary(k => k.Key, k => k.Value.Op));
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }
}
