using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;
using Qaas.Runtime.Sessions;
using Qaas.Runtime.Tensors;

namespace Qaas.Bench.Models;

/// <summary>
/// A copy of a model whose graph outputs also list every intermediate float tensor (outputs of non-Constant nodes),
/// the way calibration captures activations.
/// </summary>
public static class CaptureModel
{
    /// <returns>The serialized copy and the names of the added outputs.</returns>
    public static (byte[] Bytes, IReadOnlyList<string> Added) WithAllFloatIntermediates(ModelProto model)
    {
        var existing = model.Graph.Output.Select(o => o.Name).ToHashSet(StringComparer.Ordinal);
        var candidates = model.Graph.Node.Where(n => !ConstantNode.Is(n))
            .SelectMany(n => n.Output).Where(o => o.Length > 0 && existing.Add(o)).Distinct().ToList();

        // Types are not in the file for most intermediates: list them untyped once and let ORT say what they are.
        var probe = model.Clone();
        foreach (var name in candidates) probe.Graph.Output.Add(new ValueInfoProto { Name = name });
        List<string> floats;
        using (var session = InferenceSession.Create(probe.ToByteArray(), new InferenceSessionOptions { IntraOpThreads = 1 }))
        {
            var added = candidates.ToHashSet(StringComparer.Ordinal);
            floats = session.Outputs.Where(o => added.Contains(o.Name) && o.ElementType == TensorElementType.Float)
                .Select(o => o.Name).ToList();
        }

        var copy = model.Clone();
        foreach (var name in floats)
            copy.Graph.Output.Add(new ValueInfoProto
            {
                Name = name,
                Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float } },
            });
        return (copy.ToByteArray(), floats);
    }
}
