using Google.Protobuf.Reflection;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Io;

/// <summary>
/// Copies a serialized ModelProto field by field, except the raw_data bytes of every TensorProto wherever it occurs
/// (see <see cref="TensorCarriers"/>): those are skipped on the input and replaced by a length marker
/// (<see cref="StrippedRawData"/>). Everything else is copied unchanged, so parsing the result gives the model
/// without its inline payloads. Memory is one read buffer plus the output, whatever the payload size.
/// </summary>
internal static class PayloadStrippingFilter
{
    // Google.Protobuf's default recursion limit: deeper nesting is refused the same way by both load paths.
    private const int MaxDepth = 100;

    private const int Varint = 0, Fixed64 = 1, LengthDelimited = 2, StartGroup = 3, EndGroup = 4, Fixed32 = 5;

    public static MemoryStream Filter(Stream input)
    {
        var r = new WireInput(input);
        var output = new MemoryStream();
        CopyMessage(r, ModelProto.Descriptor, end: null, output, depth: 0);
        output.Position = 0;
        return output;
    }

    /// <summary>Copies the fields of one message up to <paramref name="end"/> (the end of the stream when null).</summary>
    private static void CopyMessage(WireInput r, MessageDescriptor message, long? end, Stream output, int depth)
    {
        if (depth > MaxDepth) throw r.Error("message nesting is too deep");
        while (end is null ? !r.AtEnd : r.Position < end)
        {
            var tag = ReadTag(r);
            var field = (int)(tag >> 3);
            if ((int)(tag & 7) == LengthDelimited && (message == TensorCarriers.Tensor && field == TensorCarriers.RawDataField
                                                      || TensorCarriers.Child(message, field) is not null))
            {
                var length = ReadLength(r, end);
                WriteVarint(output, tag);
                if (message == TensorCarriers.Tensor && field == TensorCarriers.RawDataField)
                {
                    r.Skip(length);
                    WriteVarint(output, StrippedRawData.MarkerLength);
                    StrippedRawData.WriteMarker(output, length);
                }
                else
                {
                    var child = new MemoryStream();
                    CopyMessage(r, TensorCarriers.Child(message, field)!, r.Position + length, child, depth + 1);
                    WriteVarint(output, (ulong)child.Length);
                    child.WriteTo(output);
                }
            }
            else
            {
                CopyField(r, tag, end, output, depth);
            }
            if (r.Position > end) throw r.Truncated();
        }
    }

    /// <summary>Copies one field (its tag already read) verbatim.</summary>
    private static void CopyField(WireInput r, ulong tag, long? end, Stream output, int depth)
    {
        WriteVarint(output, tag);
        switch ((int)(tag & 7))
        {
            case Varint: WriteVarint(output, r.ReadVarint()); break;
            case Fixed64: r.CopyTo(output, 8); break;
            case Fixed32: r.CopyTo(output, 4); break;
            case LengthDelimited:
                var length = ReadLength(r, end);
                WriteVarint(output, (ulong)length);
                r.CopyTo(output, length);
                break;
            case StartGroup:
                if (depth + 1 > MaxDepth) throw r.Error("message nesting is too deep");
                while (true)
                {
                    var inner = ReadTag(r);
                    if ((int)(inner & 7) == EndGroup)
                    {
                        if (inner >> 3 != tag >> 3) throw r.Error("end-group tag does not match its start-group tag");
                        WriteVarint(output, inner);
                        break;
                    }
                    CopyField(r, inner, end, output, depth + 1);
                }
                break;
            case EndGroup: throw r.Error("end-group tag without a start-group tag");
            default: throw r.Error($"invalid wire type {tag & 7}");
        }
    }

    private static ulong ReadTag(WireInput r)
    {
        var tag = r.ReadVarint();
        if (tag >> 3 == 0 || tag >> 3 > int.MaxValue >> 2) throw r.Error($"invalid tag {tag}");
        return tag;
    }

    /// <summary>A length prefix; a length running past the enclosing message or the stream means a cut-off file.</summary>
    private static long ReadLength(WireInput r, long? end)
    {
        var length = r.ReadVarint();
        if (length > long.MaxValue / 2 || r.Position + (long)length > (end ?? long.MaxValue)) throw r.Truncated();
        return (long)length;
    }

    private static void WriteVarint(Stream output, ulong value)
    {
        while (value >= 0x80)
        {
            output.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        output.WriteByte((byte)value);
    }
}
