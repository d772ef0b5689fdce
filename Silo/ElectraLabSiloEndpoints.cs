using Orleans.Dashboard;

namespace ElectraLab.Silo;

public static class ElectraLabSiloEndpoints
{
    /// <summary>
    /// The silo's own endpoints on the host's web server: /healthz, and the Orleans dashboard at /dashboard. Both are
    /// anonymous even when the API is co-hosted (whose fallback policy demands a key): the health check is for
    /// orchestrators, and the dashboard shows cluster internals, not a team's data.
    /// </summary>
    public static IEndpointRouteBuilder MapElectraLabSilo(this IEndpointRouteBuilder endpoints, IConfiguration configuration)
    {
        if (configuration.GetValue("Orleans:Dashboard:Enabled", true)) endpoints.MapOrleansDashboard("/dashboard").AllowAnonymous();
        endpoints.MapGet("/healthz", () => Results.Ok("ok")).AllowAnonymous();
        return endpoints;
    }
}
