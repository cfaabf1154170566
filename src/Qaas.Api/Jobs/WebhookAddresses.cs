using System.Net;
using System.Net.Sockets;

namespace Qaas.Api.Jobs;

/// <summary>
/// Where a job's webhook may connect: anywhere but link-local addresses (169.254.0.0/16, fe80::/10), where cloud
/// machines serve their instance metadata and credentials. Checked on the address the host name resolves to when
/// connecting, so a name that points there is refused too; loopback and private networks stay allowed (a CI server
/// beside the service is the usual receiver).
/// </summary>
public static class WebhookAddresses
{
    public static bool IsAllowed(IPAddress address)
    {
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        if (address.Equals(IPAddress.Any) || address.Equals(IPAddress.IPv6Any)) return false;
        if (address.AddressFamily == AddressFamily.InterNetworkV6) return !address.IsIPv6LinkLocal;
        var bytes = address.GetAddressBytes();
        return !(bytes[0] == 169 && bytes[1] == 254);
    }

    /// <summary>SocketsHttpHandler.ConnectCallback: connects to the first allowed address of the host.</summary>
    public static async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
    {
        var host = context.DnsEndPoint.Host;
        var addresses = IPAddress.TryParse(host, out var literal) ? [literal] : await Dns.GetHostAddressesAsync(host, ct);
        var allowed = addresses.Where(IsAllowed).ToList();
        if (allowed.Count == 0)
            throw new HttpRequestException($"Webhook host '{host}' resolves only to link-local addresses, which webhooks may not reach.");
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(allowed[0], context.DnsEndPoint.Port, ct);
            return new NetworkStream(socket, ownsSocket: true);
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
