using System.IO.Compression;
using System.Runtime.InteropServices;
using System.Text;

namespace Qaas.TestSupport;

/// <summary>Writes NumPy .npz archives (uncompressed .npy entries, format 1.0) the way numpy.savez does.</summary>
public static class NpzWriter
{
    public static byte[] Write(params (string Name, Array Data, long[] Shape)[] arrays)
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipArchive(buffer, ZipArchiveMode.Create, leaveOpen: true))
            foreach (var (name, data, shape) in arrays)
            {
                using var entry = zip.CreateEntry(name + ".npy", CompressionLevel.NoCompression).Open();
                WriteNpy(entry, data, shape);
            }
        return buffer.ToArray();
    }

    static void WriteNpy(Stream s, Array data, long[] shape)
    {
        var (descr, bytes) = data switch
        {
            float[] f => ("<f4", MemoryMarshal.AsBytes(f.AsSpan()).ToArray()),
            long[] l => ("<i8", MemoryMarshal.AsBytes(l.AsSpan()).ToArray()),
            int[] i => ("<i4", MemoryMarshal.AsBytes(i.AsSpan()).ToArray()),
            byte[] b => ("|u1", b),
            _ => throw new NotSupportedException(data.GetType().Name),
        };
        var dims = shape.Length == 1 ? $"{shape[0]}," : string.Join(", ", shape);
        var header = $"{{'descr': '{descr}', 'fortran_order': False, 'shape': ({dims}), }}";
        // Magic, version 1.0, header padded with spaces to a multiple of 64 bytes and ended by '\n'.
        var total = 10 + header.Length + 1;
        header = header.PadRight(header.Length + (64 - total % 64) % 64) + "\n";
        s.Write([0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y', 1, 0]);
        s.Write(BitConverter.GetBytes((ushort)header.Length));
        s.Write(Encoding.Latin1.GetBytes(header));
        s.Write(bytes);
    }
}
