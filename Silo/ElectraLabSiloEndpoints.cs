using ElectraLab.Observability;
using Orleans.Dashboard;

namespace ElectraLab.Silo;

public static class ElectraLabSiloEndpoints
{
    /// <summary>
    /// The silo's own endpoints on the host's web server: /health/live, /health/ready and /healthz (anonymous: they are for
    /// orchestrators; <see cref="ServiceDefaults"/>) and the Orleans dashboard at /dashboard, for the admin only (<see cref="DashboardAccess"/>; its own check, since a silo without
    /// the co-hosted API has no authentication scheme). Call before the endpoints are mapped.
    /// </summary>
    public static WebApplication MapElectraLabSilo(this WebApplication app, IConfiguration configuration)
    {
        if (DashboardAccess.IsServed(configuration))
        {
            app.UseDashboardAccess(configuration);
            app.MapOrleansDashboard(DashboardAccess.Path).AllowAnonymous();
        }
        app.MapElectraLabDefaultEndpoints();
        return app;
    }
}
