using System.Security.Claims;

namespace Qaas.Api.Auth;

/// <summary>Claims the API key handler issues, and how endpoints read them.</summary>
public static class QaasClaims
{
    public const string TenantId = "qaas:tenant";
    public const string KeyId = "qaas:key";
    public const string AdminPolicy = "admin";

    public static Guid GetTenantId(this ClaimsPrincipal user) =>
        Guid.Parse(user.FindFirstValue(TenantId) ?? throw new InvalidOperationException("No tenant claim."));
}
