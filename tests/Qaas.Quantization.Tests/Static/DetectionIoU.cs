using Qaas.Onnx.Io;
using Qaas.Quantization.Metrics;
using Qaas.Quantization.Pipeline;

namespace Qaas.Quantization.Tests.Static;

/// <summary>IoU of detection maps thresholded at 0.3, original vs quantized, over an evaluation feed.</summary>
internal static class DetectionIoU
{
    public static double Of(OnnxModel model, QuantizedModel result, SampleFeed evaluation)
    {
        using var fp32 = new SessionRunner(model.Proto);
        using var quantized = new SessionRunner(result.Model);
        var iou = new IoUAccumulator(0.3f);
        foreach (var sample in evaluation.Samples())
            iou.Add(fp32.Run(sample), quantized.Run(sample));
        return iou.IoU;
    }
}
