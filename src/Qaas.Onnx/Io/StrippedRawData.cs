using System.Buffers.Binary;
using System.Collections;
using Google.Protobuf;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Io;

/// <summary>
/// How a structure-only load remembers payloads it left out: the filter replaces each TensorProto.raw_data with a
/// fixed-size marker holding the original byte length; after parsing, <see cref="Restore"/> takes the lengths out
/// and leaves raw_data empty but present (so "stored inline" still reads true).
/// </summary>
internal static class StrippedRawData
{
    public const int MarkerLength = sizeof(long);

    public static void WriteMarker(Stream output, long originalLength)
    {
        Span<byte> b = stackalloc byte[MarkerLength];
        BinaryPrimitives.WriteInt64LittleEndian(b, originalLength);
        output.Write(b);
    }

    /// <summary>Original raw_data length of every tensor that had one, keyed by the tensor object.</summary>
    public static Dictionary<TensorProto, long> Restore(ModelProto model)
    {
        var lengths = new Dictionary<TensorProto, long>(ReferenceEqualityComparer.Instance);
        Walk(model, lengths);
        return lengths;
    }

    // Follows the same fields the filter followed, so every marker it wrote is found.
    private static void Walk(IMessage message, Dictionary<TensorProto, long> lengths)
    {
        if (message is TensorProto t && t.HasRawData)
        {
            if (t.RawData.Length != MarkerLength)
                throw new InvalidOperationException($"tensor '{t.Name}' kept {t.RawData.Length} bytes of raw_data through the structure filter");
            lengths[t] = BinaryPrimitives.ReadInt64LittleEndian(t.RawData.Span);
            t.RawData = ByteString.Empty;
        }
        foreach (var field in TensorCarriers.FieldsOf(message.Descriptor))
        {
            var value = field.Accessor.GetValue(message);
            if (field.IsRepeated)
                foreach (IMessage item in (IList)value) Walk(item, lengths);
            else if (value is IMessage child)
                Walk(child, lengths);
        }
    }
}
