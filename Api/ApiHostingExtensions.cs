using System.Net;
using System.Text.Json.Serialization;
using ElectraLab.Api.Auth;
using ElectraLab.Api.Caching;
using ElectraLab.Api.Endpoints;
using ElectraLab.Api.Resilience;
using ElectraLab.Observability;
using ElectraLab.Storage;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Orleans.Configuration;
using Scalar.AspNetCore;

namespace ElectraLab.Api;

/// <summary>
/// Makes a host the ElectraLab API. Standalone (<c>Api/Program.cs</c>) it connects to the cluster as an Orleans client;
/// a silo host co-hosts it by setting <c>ElectraLab:Api:Orleans=none</c> and calling these two methods on its own
/// builder and app, so the API uses the silo's IClusterClient.
///
/// Keys (environment variables use __ for :):
///   ConnectionStrings:ElectraLab         PostgreSQL (required): read models, teams, keys
///   ElectraLab:Api:AdminKey              the bootstrap admin key (see ApiOptions)
///   ElectraLab:Api:Orleans               client (default) | none
///   Orleans:ClusterId / Orleans:ServiceId  set: find gateways in PostgreSQL membership; unset: localhost gateway
///   Orleans:GatewayPort                  localhost clustering: the silo's gateway port (default 30000)
/// </summary>
public static class ApiHostingExtensions
{
    /// <summary>
    /// Categories that log every request or SQL command at Information: quiet unless the host's configuration names them
    /// (Logging:LogLevel:&lt;category&gt;). In code, not in an appsettings.json, because a silo co-hosting the API has its own.
    /// </summary>
    private static readonly string[] ChattyCategories = ["Microsoft.AspNetCore", "Microsoft.EntityFrameworkCore", "Orleans"];

    public static IHostApplicationBuilder AddElectraLabApi(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        var configuration = builder.Configuration;
        foreach (var category in ChattyCategories)
        {
            if (configuration[$"Logging:LogLevel:{category}"] is null) builder.Logging.AddFilter(category, LogLevel.Warning);
        }
        services.AddElectraLabStorage(configuration);
        builder.AddElectraLabServiceDefaults("electralab-api");
        services.AddOptions<ApiOptions>().Bind(configuration.GetSection(ApiOptions.Section)).ValidateDataAnnotations().ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.AddSingleton<ApiKeyCache>();
        services.AddSingleton<ReadModelChangeListener>();
        services.AddHostedService(sp => sp.GetRequiredService<ReadModelChangeListener>());
        services.AddSingleton<ReadBarrier>();
        services.AddSingleton<ReadModelCache>();

        services.AddProblemDetails();
        services.AddExceptionHandler<DatabaseUnavailableHandler>();
        services.AddOpenApi();
        services.ConfigureHttpJsonOptions(o => o.SerializerOptions.Converters.Add(new JsonStringEnumConverter()));
        // Kestrel's own cap; the sweep endpoint also enforces ElectraLab:Api:MaxSpecBytes while it reads.
        services.Configure<KestrelServerOptions>(o => o.Limits.MaxRequestBodySize = 4 * 1024 * 1024);

        services.AddAuthentication(ApiKeyAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, ApiKeyAuthenticationHandler>(ApiKeyAuthenticationHandler.SchemeName, null);
        services.AddAuthorizationBuilder()
            .AddPolicy(Caller.TeamPolicy, p => p.RequireClaim(Caller.TeamClaim))
            .AddPolicy(Caller.AdminPolicy, p => p.RequireRole(Caller.AdminRole))
            .SetFallbackPolicy(new AuthorizationPolicyBuilder().RequireAuthenticatedUser().Build());

        if (configuration.GetSection(ApiOptions.Section)["Orleans"] is null or "client")
        {
            builder.UseOrleansClient(client =>
            {
                client.AddActivityPropagation();
                var clusterId = configuration["Orleans:ClusterId"];
                var serviceId = configuration["Orleans:ServiceId"] ?? "electralab";
                if (string.IsNullOrWhiteSpace(clusterId))
                {
                    var gateway = configuration.GetValue("Orleans:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT);
                    client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, gateway));
                    client.Configure<ClusterOptions>(o =>
                    {
                        o.ClusterId = "electralab-local";
                        o.ServiceId = serviceId;
                    });
                }
                else
                {
                    client.UseAdoNetClustering(o =>
                    {
                        o.Invariant = "Npgsql";
                        o.ConnectionString = configuration.GetConnectionString(StorageOptions.ConnectionStringName);
                    });
                    client.Configure<ClusterOptions>(o =>
                    {
                        o.ClusterId = clusterId;
                        o.ServiceId = serviceId;
                    });
                }
            });
        }
        return builder;
    }

    public static WebApplication MapElectraLabApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapElectraLabDefaultEndpoints();
        app.MapOpenApi().AllowAnonymous();
        app.MapScalarApiReference("/api/reference", o => o.WithTitle("ElectraLab API")).AllowAnonymous();

        var api = app.MapGroup("/api");
        api.MapSweepsApi();
        api.MapExperimentsApi();
        api.MapExperimentLogsApi();
        api.MapLeaderboardApi();
        api.MapCheckpointsApi();
        api.MapModelsApi();
        api.MapDatasetsApi();
        api.MapSweepReportsApi();
        api.MapTeamsApi();
        app.MapWebPages();
        return app;
    }
}
