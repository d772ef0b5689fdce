using ElectraLab.Api;

namespace ElectraLab.Silo;

/// <summary>
/// Builds the ElectraLab silo web host from configuration: the silo, its /healthz and /dashboard, and, when
/// <c>ElectraLab:Silo:HostApi</c> is true, the HTTP API and web pages co-hosted on the same web server using the silo's
/// own cluster client (the embedded default: one process). Used by Silo's Main and by `electralab up` / `demo`.
/// </summary>
public static class ElectraLabHost
{
    public const string HostApiKey = "ElectraLab:Silo:HostApi";

    public static WebApplication Build(WebApplicationBuilder builder)
    {
        builder.AddElectraLabSilo();
        var hostApi = builder.Configuration.GetValue(HostApiKey, false);
        if (hostApi)
        {
            // The silo registers IClusterClient itself; a second (client) connection would be a needless hop.
            builder.Configuration[$"{ApiOptions.Section}:Orleans"] = "none";
            builder.AddElectraLabApi();
        }
        var app = builder.Build();
        // The dashboard's guard runs first, so the API's exception and status-code handling never sees its requests.
        app.MapElectraLabSilo(app.Configuration);
        if (hostApi) app.MapElectraLabApi();
        return app;
    }
}
