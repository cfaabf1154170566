using System.Diagnostics;
using System.Text;

namespace Qaas.TestSupport;

/// <summary>
/// Renders text with ImageMagick (/usr/bin/convert, DejaVu Sans; /usr/local/bin/convert may be a stand-in) into
/// float32 NCHW tensors normalized the way PaddleOCR's detector and direction classifier expect them.
/// Texts and sizes vary deterministically with the sample index and seed.
/// </summary>
public static class TextImages
{
    public const string ConvertPath = "/usr/bin/convert";
    public const int ClassifierHeight = 48, ClassifierWidth = 192;

    private static readonly float[] ImageNetMean = [0.485f, 0.456f, 0.406f];
    private static readonly float[] ImageNetStd = [0.229f, 0.224f, 0.225f];

    private static readonly string[] Words =
    [
        "invoice", "total", "quantize", "Runtime", "2026", "model", "ONNX", "receipt", "Berlin", "coffee", "42.50",
        "shipping", "address", "hello", "world", "TEXT", "scale", "zero", "point", "calibrate", "layer", "tensor",
        "Paris", "No. 17", "kernel", "fused", "QDQ", "detect", "direction", "order #381",
    ];

    /// <summary>A short line of words chosen by <paramref name="index"/> and <paramref name="seed"/>.</summary>
    public static string Line(int index, int seed = 0, int words = 2)
    {
        var random = new Random(unchecked(seed * 7919 + index));
        var parts = new string[words];
        for (int i = 0; i < words; i++)
            parts[i] = Words[random.Next(Words.Length)];
        return string.Join(' ', parts);
    }

    /// <summary>Detector input [1, 3, height, width]: a few lines of text, (x/255 - mean) / std with ImageNet statistics.</summary>
    public static float[] Detection(int index, int width, int height, int seed = 0)
    {
        var random = new Random(unchecked(seed * 104729 + index));
        int lines = 1 + random.Next(3);
        var text = string.Join('\n', Enumerable.Range(0, lines).Select(l => Line(index * 3 + l, seed, 1 + random.Next(3))));
        int pointSize = Math.Max(10, height / (6 + random.Next(6)));
        var rgb = Render(text, width, height, pointSize, upsideDown: false);
        var x = new float[3 * width * height];
        int plane = width * height;
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                x[c * plane + p] = (rgb[p * 3 + c] / 255f - ImageNetMean[c]) / ImageNetStd[c];
        return x;
    }

    /// <summary>Classifier input [1, 3, 48, 192]: one line, every third upside down, (x/255 - 0.5) / 0.5.</summary>
    public static float[] Classification(int index, int seed = 0)
    {
        var random = new Random(unchecked(seed * 15485863 + index));
        int pointSize = 30 + random.Next(8);
        var rgb = Render(Line(index, seed, 1 + random.Next(2)), ClassifierWidth, ClassifierHeight, pointSize, upsideDown: index % 3 == 2);
        var x = new float[3 * ClassifierWidth * ClassifierHeight];
        int plane = ClassifierWidth * ClassifierHeight;
        for (int p = 0; p < plane; p++)
            for (int c = 0; c < 3; c++)
                x[c * plane + p] = (rgb[p * 3 + c] / 255f - 0.5f) / 0.5f;
        return x;
    }

    /// <summary>Black text on white, centered on a width x height canvas; returns packed RGB bytes (row-major HWC).</summary>
    public static byte[] Render(string text, int width, int height, int pointSize, bool upsideDown)
    {
        var psi = new ProcessStartInfo(ConvertPath)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "-background", "white", "-fill", "black", "-font", "DejaVu-Sans", "-pointsize", pointSize.ToString() })
            psi.ArgumentList.Add(a);
        // A leading '@' would make ImageMagick read a file.
        psi.ArgumentList.Add("label:" + text.TrimStart('@'));
        if (upsideDown)
        {
            psi.ArgumentList.Add("-rotate");
            psi.ArgumentList.Add("180");
        }
        foreach (var a in new[] { "-depth", "8", "-gravity", "center", "-extent", $"{width}x{height}", "ppm:-" })
            psi.ArgumentList.Add(a);
        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {ConvertPath}");
        var stderr = process.StandardError.ReadToEndAsync();
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{ConvertPath} failed ({process.ExitCode}): {stderr.Result}");
        var (w, h, pixels) = ParsePpm(output.ToArray());
        if (w != width || h != height)
            throw new InvalidOperationException($"{ConvertPath} produced {w}x{h}, expected {width}x{height}");
        return pixels;
    }

    /// <summary>Parses a binary PPM (P6, maxval 255): width, height and the RGB bytes.</summary>
    public static (int Width, int Height, byte[] Rgb) ParsePpm(byte[] data)
    {
        int at = 0;
        string Token()
        {
            while (true)
            {
                while (at < data.Length && char.IsWhiteSpace((char)data[at])) at++;
                if (at < data.Length && data[at] == '#')
                {
                    while (at < data.Length && data[at] != '\n') at++;
                    continue;
                }
                break;
            }
            int start = at;
            while (at < data.Length && !char.IsWhiteSpace((char)data[at])) at++;
            return Encoding.ASCII.GetString(data, start, at - start);
        }
        if (Token() != "P6")
            throw new FormatException("not a binary PPM (P6)");
        int width = int.Parse(Token()), height = int.Parse(Token()), max = int.Parse(Token());
        if (max != 255)
            throw new FormatException($"PPM maxval {max}; expected 8-bit (255)");
        at++; // the single whitespace byte before the pixels
        int length = width * height * 3;
        if (data.Length - at < length)
            throw new FormatException("PPM pixel data is truncated");
        return (width, height, data.AsSpan(at, length).ToArray());
    }
}
