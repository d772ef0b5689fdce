using Orleans.Dashboard;

namespace ElectraLab.Silo;

public static class ElectraLabSiloEndpoints
{
    /// <summary>The silo's own endpoints on the host's web server: /healthz, and the Orleans dashboard at /dashboard.</summary>
    public static IEndpointRouteBuilder MapElectraLabSilo(this IEndpointRouteBuilder endpoints, IConfiguration configuration)
    {
        if (configuration.GetValue("Orleans:Dashboard:Enabled", true)) endpoints.MapOrleansDashboard("/dashboard");
        endpoints.MapGet("/healthz", () => Results.Ok("ok"));
        return endpoints;
    }
}
