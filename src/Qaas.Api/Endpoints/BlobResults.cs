using Microsoft.Net.Http.Headers;
using Qaas.Storage.Blobs;
using EntityTag = Microsoft.Net.Http.Headers.EntityTagHeaderValue;

namespace Qaas.Api.Endpoints;

/// <summary>Streams a blob as a download with ETag (its SHA-256), Content-Length, and single-range Range support (206/416;
/// other Range headers are ignored).</summary>
public static class BlobResults
{
    public static async Task WriteAsync(HttpContext http, BlobStore blobs, string sha256, long size, string contentType, string fileName)
    {
        var response = http.Response;
        var etag = $"\"{sha256}\"";
        response.Headers.ETag = etag;
        response.Headers.AcceptRanges = "bytes";
        response.Headers.ContentDisposition = new ContentDispositionHeaderValue("attachment") { FileNameStar = fileName }.ToString();
        if (EntityTag.TryParseList(http.Request.Headers.IfNoneMatch.Where(v => v is not null).Select(v => v!).ToList(), out var tags) && tags!.Any(t => t.Tag == etag || t.Tag == "*"))
        {
            response.StatusCode = StatusCodes.Status304NotModified;
            return;
        }

        long from = 0, to = size - 1;
        var range = http.Request.Headers.Range.ToString();
        var ifRange = http.Request.Headers.IfRange.ToString();
        if (!string.IsNullOrEmpty(range) && (string.IsNullOrEmpty(ifRange) || ifRange == etag))
        {
            switch (ParseRange(range, size, out from, out to))
            {
                case RangeRequest.Unsatisfiable:
                    response.StatusCode = StatusCodes.Status416RangeNotSatisfiable;
                    response.Headers.ContentRange = $"bytes */{size}";
                    return;
                case RangeRequest.Single:
                    response.StatusCode = StatusCodes.Status206PartialContent;
                    response.Headers.ContentRange = $"bytes {from}-{to}/{size}";
                    break;
                default: // RFC 9110 lets a server ignore a Range it does not serve: the whole content, 200
                    (from, to) = (0, size - 1);
                    break;
            }
        }
        var length = size == 0 ? 0 : to - from + 1;
        response.ContentType = contentType;
        response.ContentLength = length;
        if (HttpMethods.IsHead(http.Request.Method) || length == 0) return;

        await using var stream = await blobs.OpenReadAsync(sha256, from, http.RequestAborted)
            ?? throw new InvalidOperationException($"Blob {sha256} is missing.");
        var buffer = new byte[1 << 16];
        var left = length;
        while (left > 0)
        {
            var n = await stream.ReadAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, left)), http.RequestAborted);
            if (n == 0) break;
            await response.Body.WriteAsync(buffer.AsMemory(0, n), http.RequestAborted);
            left -= n;
        }
    }

    private enum RangeRequest { Ignored, Single, Unsatisfiable }

    /// <summary>One range: "bytes=a-b", "bytes=a-" or "bytes=-n". Several ranges, other units or a malformed header are
    /// ignored (the whole content is sent); a byte range past the end is unsatisfiable.</summary>
    private static RangeRequest ParseRange(string header, long size, out long from, out long to)
    {
        from = 0; to = size - 1;
        if (!RangeHeaderValue.TryParse(header, out var parsed) || parsed.Unit.Value != "bytes" || parsed.Ranges.Count != 1)
            return RangeRequest.Ignored;
        var r = parsed.Ranges.First();
        if (r.From is null && r.To is null) return RangeRequest.Ignored;
        if (r.From is null) { from = Math.Max(0, size - r.To!.Value); to = size - 1; }
        else { from = r.From.Value; to = Math.Min(r.To ?? size - 1, size - 1); }
        return from <= to && from < size ? RangeRequest.Single : RangeRequest.Unsatisfiable;
    }
}
