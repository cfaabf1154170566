using Google.Protobuf.Reflection;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Io;

/// <summary>
/// Which message fields can lead to a TensorProto (graph.initializer, attribute t/tensors/g/graphs, sparse values,
/// training_info, functions, function attribute defaults, ...), worked out from the generated descriptors so a field
/// added to onnx.proto is followed without anyone listing it here.
/// </summary>
internal static class TensorCarriers
{
    public static MessageDescriptor Tensor => TensorProto.Descriptor;

    /// <summary>TensorProto.raw_data: the payload a structure-only load leaves out.</summary>
    public const int RawDataField = TensorProto.RawDataFieldNumber;

    // Message -> (field number -> message type of that field) for the fields that can reach a TensorProto.
    private static readonly Dictionary<MessageDescriptor, Dictionary<int, MessageDescriptor>> Fields = Build();

    /// <summary>The message type of field <paramref name="field"/> of <paramref name="message"/> when it can hold a tensor.</summary>
    public static MessageDescriptor? Child(MessageDescriptor message, int field) =>
        Fields.TryGetValue(message, out var f) && f.TryGetValue(field, out var d) ? d : null;

    /// <summary>The message-typed fields of <paramref name="message"/> that can hold a tensor (empty when none).</summary>
    public static IEnumerable<FieldDescriptor> FieldsOf(MessageDescriptor message) =>
        Fields.TryGetValue(message, out var f)
            ? message.Fields.InFieldNumberOrder().Where(d => f.ContainsKey(d.FieldNumber))
            : [];

    private static Dictionary<MessageDescriptor, Dictionary<int, MessageDescriptor>> Build()
    {
        var all = new List<MessageDescriptor>();
        var seen = new HashSet<MessageDescriptor>();
        void Visit(MessageDescriptor d)
        {
            if (!seen.Add(d)) return;
            all.Add(d);
            foreach (var f in d.Fields.InFieldNumberOrder())
                if (f.FieldType == FieldType.Message) Visit(f.MessageType);
        }
        Visit(ModelProto.Descriptor);

        // Fixpoint: a message carries tensors if it is TensorProto or one of its fields carries them (graphs nest).
        var carriers = new HashSet<MessageDescriptor> { TensorProto.Descriptor };
        for (var changed = true; changed;)
        {
            changed = false;
            foreach (var d in all)
                if (!carriers.Contains(d) && d.Fields.InFieldNumberOrder().Any(f => f.FieldType == FieldType.Message && carriers.Contains(f.MessageType)))
                    changed = carriers.Add(d) || changed;
        }

        var result = new Dictionary<MessageDescriptor, Dictionary<int, MessageDescriptor>>();
        foreach (var d in carriers)
            result[d] = d.Fields.InFieldNumberOrder()
                .Where(f => f.FieldType == FieldType.Message && carriers.Contains(f.MessageType))
                .ToDictionary(f => f.FieldNumber, f => f.MessageType);
        return result;
    }
}
