using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Qaas.Api.Auth;

/// <summary>API key secrets: `qaas_` + 32 random bytes base64url; stored and looked up by SHA-256.</summary>
public static class ApiKeySecrets
{
    public const string Prefix = "qaas_";

    public static string Generate() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    public static byte[] Hash(string secret) => SHA256.HashData(Encoding.UTF8.GetBytes(secret));

    /// <summary>What listings show of a key: enough to recognise it, too little to use it.</summary>
    public static string DisplayPrefix(string secret) => secret.Length <= 12 ? secret[..Math.Min(4, secret.Length)] : secret[..12];
}
