using Google.Protobuf;
using Qaas.Onnx.Graph;
using Qaas.Onnx.Proto;

namespace Qaas.Onnx.Io;

/// <summary>
/// Saves models. Tensor bytes are moved one tensor at a time (external files are streamed, never the whole model
/// held twice); tensors are edited in place for the write and restored afterwards, so the model is unchanged.
/// </summary>
public static class ModelWriter
{
    /// <summary>Protobuf cannot encode a message of 2 GiB or more; stay clear of it.</summary>
    public const long ProtobufLimit = int.MaxValue - (16L << 20);

    /// <summary>Writes the whole model, external tensors inlined, to one stream.</summary>
    public static void Save(OnnxModel model, Stream output)
    {
        var external = OnnxModel.AllTensors(model.Proto).Where(ExternalDataReference.IsExternal).ToList();
        var inlineBytes = external.Sum(t => model.ExternalDataOf(t)!.Length);
        if (EstimatedSize(model.Proto) + inlineBytes > ProtobufLimit)
            throw new InvalidOperationException("the model needs more than 2 GiB: save it to a folder with external data");
        var snapshots = external.Select(t => new TensorStorageSnapshot(t)).ToList();
        try
        {
            foreach (var t in external)
            {
                var bytes = TensorBytes.ReadRaw(t, model);
                TensorStorageSnapshot.ClearStorage(t);
                t.RawData = ByteString.CopyFrom(bytes);
            }
            model.Proto.WriteTo(output);
        }
        finally
        {
            Restore(snapshots);
        }
    }

    public static string SaveToFolder(OnnxModel model, string folder, ModelSaveOptions options)
    {
        Directory.CreateDirectory(folder);
        folder = Path.GetFullPath(folder);
        var modelPath = Path.Combine(folder, options.FileName);
        var dataPath = Path.Combine(folder, options.DataFileName);
        var all = OnnxModel.AllTensors(model.Proto).ToList();
        var hasExternal = all.Any(ExternalDataReference.IsExternal);
        if (hasExternal && model.Files is { } files)
        {
            var sourceFolder = Path.GetDirectoryName(files.MainFile)!;
            if (string.Equals(sourceFolder.TrimEnd('/'), folder.TrimEnd('/'), StringComparison.Ordinal))
                throw new InvalidOperationException("save the model to another folder than the one its external data is read from");
        }

        var external = options.ExternalData switch
        {
            ExternalDataMode.Always => true,
            ExternalDataMode.Never => false,
            _ => hasExternal || EstimatedSize(model.Proto) > ProtobufLimit,
        };
        if (!external)
        {
            WriteAtomically(modelPath, s => Save(model, s));
            if (File.Exists(dataPath) && !hasExternal) File.Delete(dataPath);
            return modelPath;
        }

        // Weights (initializers, Constant values) above the threshold go out, plus whatever was external already.
        var weights = ModelWeights.All(model.Graph)
            .Where(w => w.Source == WeightSource.Initializer || (w.Node is { } n && n.Attribute[0].Name == "value"))
            .Select(w => w.Tensor)
            .ToHashSet(ReferenceEqualityComparer.Instance);
        var moving = all.Where(t => ExternalDataReference.IsExternal(t)
                                    || (weights.Contains(t) && (TensorLayout.ByteSize(t) ?? 0) >= options.SizeThreshold))
                        .Where(t => TensorLayout.ByteSize(t) is not null)
                        .Distinct(ReferenceEqualityComparer.Instance).Cast<TensorProto>().ToList();
        var snapshots = moving.Select(t => new TensorStorageSnapshot(t)).ToList();
        try
        {
            var placed = new List<(TensorProto Tensor, long Offset, long Length)>();
            WriteAtomically(dataPath, data =>
            {
                var pad = new byte[options.Alignment];
                foreach (var t in moving)
                {
                    var misalign = data.Position % options.Alignment;
                    if (misalign != 0) data.Write(pad, 0, (int)(options.Alignment - misalign));
                    var offset = data.Position;
                    if (model.ExternalDataOf(t) is { } ext && KernelRangeCopy.TryAppend(ext.Path, ext.Offset, ext.Length, data))
                    {
                        // copied unchanged inside the kernel
                    }
                    else if (ExternalDataReference.IsExternal(t) || t.HasRawData)
                    {
                        using var src = model.OpenTensorData(t);
                        src.CopyTo(data, 1 << 20);
                    }
                    else
                    {
                        data.Write(TensorBytes.ReadRaw(t, model));
                    }
                    placed.Add((t, offset, data.Position - offset));
                }
            });
            foreach (var (t, offset, length) in placed)
            {
                TensorStorageSnapshot.ClearStorage(t);
                t.ExternalData.Add(new StringStringEntryProto { Key = "location", Value = options.DataFileName });
                t.ExternalData.Add(new StringStringEntryProto { Key = "offset", Value = offset.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                t.ExternalData.Add(new StringStringEntryProto { Key = "length", Value = length.ToString(System.Globalization.CultureInfo.InvariantCulture) });
                t.DataLocation = TensorProto.Types.DataLocation.External;
            }
            WriteAtomically(modelPath, s => model.Proto.WriteTo(s));
        }
        finally
        {
            Restore(snapshots);
        }
        return modelPath;
    }

    /// <summary>Serialized size without int overflow: protobuf's CalculateSize is an int, the sum of tensors may not be.</summary>
    public static long EstimatedSize(ModelProto model)
    {
        long tensors = 0;
        foreach (var t in OnnxModel.AllTensors(model)) tensors += t.CalculateSize();
        return tensors > ProtobufLimit ? tensors : model.CalculateSize();
    }

    private static void Restore(List<TensorStorageSnapshot> snapshots)
    {
        foreach (var s in snapshots) s.Restore();
    }

    /// <summary>Write to a temporary file and rename, so a crash never leaves a half-written model under the real name.</summary>
    private static void WriteAtomically(string path, Action<FileStream> write)
    {
        var tmp = path + ".tmp-" + Guid.NewGuid().ToString("N");
        try
        {
            using (var fs = new FileStream(tmp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                write(fs);
            File.Move(tmp, path, overwrite: true);
        }
        finally
        {
            if (File.Exists(tmp)) File.Delete(tmp);
        }
    }
}
