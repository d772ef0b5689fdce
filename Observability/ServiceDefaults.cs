using System.Reflection;
using ElectraLab.Contracts;
using ElectraLab.Observability.Health;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace ElectraLab.Observability;

/// <summary>
/// What every ElectraLab process with a web host shares (the silo, the API, the stack `electralab up` starts), in the
/// style of a service-defaults library: health checks and their endpoints, and one OpenTelemetry set-up.
///
/// Telemetry: the resource names the service (<c>electralab-silo</c> / <c>electralab-api</c>), its version and, on a
/// silo, the silo (<c>electralab.silo</c>). Metrics (ElectraLab's own, ASP.NET Core's, HttpClient's, the runtime's,
/// Orleans' and Npgsql's) always feed the Prometheus endpoint at /metrics (<see cref="MetricsAccess"/>). Traces and logs
/// are exported over OTLP only when <c>OTEL_EXPORTER_OTLP_ENDPOINT</c> is set (and the other standard OTEL_* variables
/// apply); without it no tracer is built, so spans are never even created. <c>ElectraLab:Telemetry:Tracing=true</c>
/// builds the tracer without an exporter, for a test (or a host) that adds its own.
///
/// Both methods are idempotent, so a silo co-hosting the API sets up once, under the name of whichever asked first.
/// </summary>
public static class ServiceDefaults
{
    public const string OtlpEndpointKey = "OTEL_EXPORTER_OTLP_ENDPOINT";
    public const string TracingKey = "ElectraLab:Telemetry:Tracing";

    /// <summary>ActivitySource names traced: ElectraLab's spans and every Orleans source (grain calls, runtime).</summary>
    public static readonly string[] TracedSources = [TelemetryNames.ActivitySource, "Microsoft.Orleans.*"];

    /// <summary>Meters exported: ElectraLab's instruments, Orleans', Npgsql's (ASP.NET Core, HTTP and runtime come with their instrumentation).</summary>
    public static readonly string[] Meters = [TelemetryNames.Meter, "Microsoft.Orleans", "Npgsql"];

    public static IHostApplicationBuilder AddElectraLabServiceDefaults(this IHostApplicationBuilder builder, string serviceName)
    {
        if (builder.Services.Any(d => d.ServiceType == typeof(ServiceDefaultsMarker))) return builder;
        builder.Services.AddSingleton(new ServiceDefaultsMarker(serviceName));
        builder.Services.AddHealthChecks().AddCheck<DatabaseReadyCheck>("database", tags: [HealthEndpoints.ReadyTag]);

        var configuration = builder.Configuration;
        var otlp = !string.IsNullOrWhiteSpace(configuration[OtlpEndpointKey] ?? Environment.GetEnvironmentVariable(OtlpEndpointKey));
        var tracing = otlp || configuration.GetValue(TracingKey, false);
        var telemetry = builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => Describe(resource, serviceName, configuration))
            .WithMetrics(metrics => metrics
                .AddMeter(Meters)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation()
                .AddPrometheusExporter());
        if (tracing)
        {
            telemetry.WithTracing(traces => traces
                .AddSource(TracedSources)
                // Probes and scrapes every few seconds would drown the traces that matter.
                .AddAspNetCoreInstrumentation(o => o.Filter = context =>
                    !context.Request.Path.StartsWithSegments("/health") && !context.Request.Path.StartsWithSegments("/healthz")
                    && !context.Request.Path.StartsWithSegments(MetricsAccess.Path))
                .AddHttpClientInstrumentation()
                .AddNpgsql());
        }
        if (otlp)
        {
            telemetry.WithLogging();
            telemetry.UseOtlpExporter();
        }
        return builder;
    }

    public static WebApplication MapElectraLabDefaultEndpoints(this WebApplication app)
    {
        var properties = ((IApplicationBuilder)app).Properties;
        if (!properties.TryAdd(nameof(ServiceDefaultsMarker), true)) return app;
        app.MapElectraLabHealth();
        if (MetricsAccess.IsServed(app.Configuration))
        {
            app.UseMetricsAccess(app.Configuration);
            app.MapPrometheusScrapingEndpoint(MetricsAccess.Path).AllowAnonymous();
        }
        return app;
    }

    private static void Describe(ResourceBuilder resource, string serviceName, IConfiguration configuration)
    {
        var version = typeof(ServiceDefaults).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion ?? "unknown";
        resource.AddService(serviceName, serviceNamespace: "electralab", serviceVersion: version,
            serviceInstanceId: $"{Environment.MachineName}:{Environment.ProcessId}");
        var attributes = new Dictionary<string, object> { ["host.name"] = Environment.MachineName };
        if (serviceName.EndsWith("silo", StringComparison.Ordinal))
        {
            // The silo's endpoint as the cluster knows it (advertised address and silo port).
            attributes["electralab.silo"] = $"{configuration["Orleans:AdvertisedIP"] ?? "127.0.0.1"}:{configuration["Orleans:SiloPort"] ?? "11111"}";
        }
        if (configuration["Orleans:ClusterId"] is { Length: > 0 } cluster) attributes["electralab.cluster"] = cluster;
        resource.AddAttributes(attributes);
    }

    /// <summary>The service name the process runs under (first caller wins).</summary>
    public sealed record ServiceDefaultsMarker(string ServiceName);
}
