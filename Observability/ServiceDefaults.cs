using ElectraLab.Observability.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ElectraLab.Observability;

/// <summary>
/// What every ElectraLab process with a web host shares (the silo, the API, the stack `electralab up` starts): health
/// checks and their endpoints. Both methods are idempotent, so a silo co-hosting the API sets up once, under the name
/// of whichever host asked first.
/// </summary>
public static class ServiceDefaults
{
    public static IHostApplicationBuilder AddElectraLabServiceDefaults(this IHostApplicationBuilder builder, string serviceName)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(ServiceDefaultsMarker))) return builder;
        builder.Services.AddSingleton(new ServiceDefaultsMarker(serviceName));
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: [HealthEndpoints.ReadyTag]);
        return builder;
    }

    public static WebApplication MapElectraLabDefaultEndpoints(this WebApplication app)
    {
        var properties = ((IApplicationBuilder)app).Properties;
        if (!properties.TryAdd(nameof(ServiceDefaultsMarker), true)) return app;
        app.MapElectraLabHealth();
        return app;
    }

    /// <summary>The service name the process runs under (first caller wins).</summary>
    public sealed record ServiceDefaultsMarker(string ServiceName);
}
