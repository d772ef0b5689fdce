using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;

namespace ElectraLab.Observability;

/// <summary>
/// Who may scrape <c>/metrics</c> (it names every team's experiments): a request carrying the admin key
/// (<c>ElectraLab:Api:AdminKey</c>, as <c>X-Api-Key</c>, a Bearer token or the password of HTTP Basic, which is how
/// Prometheus' <c>authorization</c> and <c>basic_auth</c> send it), or one from a network listed in
/// <c>ElectraLab:Metrics:AllowedNetworks</c> (CIDR, comma-separated, e.g. <c>10.0.0.0/8,127.0.0.1/32</c>). Anyone else
/// gets 401. With neither configured, /metrics is not served (404).
/// </summary>
public static class MetricsAccess
{
    public const string Path = "/metrics";
    public const string AllowedNetworksKey = "ElectraLab:Metrics:AllowedNetworks";
    public const string AdminKeySetting = "ElectraLab:Api:AdminKey";

    public static bool IsServed(IConfiguration configuration) =>
        !string.IsNullOrEmpty(configuration[AdminKeySetting]) || AllowedNetworks(configuration).Count > 0;

    /// <summary>The configured networks; a malformed entry fails start-up with its text (a typo must not open or close the door silently).</summary>
    public static IReadOnlyList<IPNetwork> AllowedNetworks(IConfiguration configuration)
    {
        var text = configuration[AllowedNetworksKey];
        if (string.IsNullOrWhiteSpace(text)) return [];
        var networks = new List<IPNetwork>();
        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            if (!IPNetwork.TryParse(entry, out var network))
            {
                throw new InvalidOperationException($"{AllowedNetworksKey}: '{entry}' is not a network in CIDR notation (e.g. 10.0.0.0/8)");
            }
            networks.Add(network);
        }
        return networks;
    }

    public static IApplicationBuilder UseMetricsAccess(this IApplicationBuilder app, IConfiguration configuration)
    {
        var adminKey = configuration[AdminKeySetting];
        var networks = AllowedNetworks(configuration);
        return app.UseWhen(context => context.Request.Path.StartsWithSegments(Path), branch => branch.Use(async (context, next) =>
        {
            if (FromAllowedNetwork(context.Connection.RemoteIpAddress, networks) || (adminKey is { Length: > 0 } && AdminKeyCheck.Carries(context.Request, adminKey, acceptBearer: true)))
            {
                await next(context);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"ElectraLab metrics (the admin key)\"";
        }));
    }

    private static bool FromAllowedNetwork(IPAddress? address, IReadOnlyList<IPNetwork> networks)
    {
        if (address is null) return false;
        if (address.IsIPv4MappedToIPv6) address = address.MapToIPv4();
        foreach (var network in networks)
        {
            if (network.Contains(address)) return true;
        }
        return false;
    }
}
