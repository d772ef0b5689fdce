using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http;

namespace ElectraLab.Observability;

/// <summary>
/// Whether a request carries the admin key: as <c>X-Api-Key</c>, as the password of HTTP Basic (what a browser asks
/// for), or, where a scraper needs it, as a Bearer token. Compared in constant time. The dashboard's and /metrics' one check.
/// </summary>
public static class AdminKeyCheck
{
    public static bool Carries(HttpRequest request, string adminKey, bool acceptBearer = false)
    {
        if (request.Headers.TryGetValue("X-Api-Key", out var header) && Same(header.ToString().Trim(), adminKey)) return true;
        var authorization = request.Headers.Authorization.ToString();
        if (acceptBearer && authorization.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)) return Same(authorization[7..].Trim(), adminKey);
        if (!authorization.StartsWith("Basic ", StringComparison.OrdinalIgnoreCase)) return false;
        try
        {
            var pair = Encoding.UTF8.GetString(Convert.FromBase64String(authorization[6..].Trim()));
            var colon = pair.IndexOf(':');
            return colon >= 0 && Same(pair[(colon + 1)..], adminKey);
        }
        catch (FormatException)
        {
            return false;
        }
    }

    private static bool Same(string a, string b) =>
        CryptographicOperations.FixedTimeEquals(SHA256.HashData(Encoding.UTF8.GetBytes(a)), SHA256.HashData(Encoding.UTF8.GetBytes(b)));
}
