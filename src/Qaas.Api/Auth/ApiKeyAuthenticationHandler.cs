using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;

namespace Qaas.Api.Auth;

/// <summary>
/// Authenticates `Authorization: Bearer &lt;key&gt;` or `X-Api-Key: &lt;key&gt;` against the stored SHA-256 hashes,
/// through <see cref="ApiKeyCache"/> (see there how soon a revocation takes effect).
/// </summary>
public sealed class ApiKeyAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options, ILoggerFactory logger, UrlEncoder encoder, ApiKeyCache keys)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "ApiKey";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var secret = ReadSecret(Request);
        if (secret is null) return AuthenticateResult.NoResult();
        var hash = ApiKeySecrets.Hash(secret);
        var key = await keys.FindAsync(hash, Context.RequestAborted);
        if (key is null || key.Revoked) return AuthenticateResult.Fail("Unknown or revoked API key.");
        var identity = new ClaimsIdentity(
            [new Claim(QaasClaims.TenantId, key.TenantId.ToString()), new Claim(QaasClaims.KeyId, key.KeyId.ToString()), new Claim(ClaimTypes.Role, key.Role)],
            SchemeName);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = "Bearer";
        await Results.Problem(statusCode: 401, title: "Unauthorized",
            detail: ReadSecret(Request) is null
                ? "Send an API key as 'Authorization: Bearer <key>' or 'X-Api-Key: <key>'."
                : "The API key is unknown or revoked.").ExecuteAsync(Context);
    }

    protected override async Task HandleForbiddenAsync(AuthenticationProperties properties)
    {
        await Results.Problem(statusCode: 403, title: "Forbidden", detail: "This operation needs an admin API key.").ExecuteAsync(Context);
    }

    private static string? ReadSecret(HttpRequest request)
    {
        var header = request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return header["Bearer ".Length..].Trim();
        var apiKey = request.Headers["X-Api-Key"].ToString();
        return string.IsNullOrWhiteSpace(apiKey) ? null : apiKey.Trim();
    }
}
