using System.Net;
using ElectraLab.Grains.Hosting;
using ElectraLab.Observability;
using ElectraLab.Observability.Health;
using ElectraLab.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Dashboard;

namespace ElectraLab.Silo;

/// <summary>
/// Makes any .NET host an ElectraLab silo, configured only through standard configuration (appsettings.json,
/// environment variables, command line). An ASP.NET Core API can be co-hosted by calling this on its
/// WebApplicationBuilder (and MapElectraLabSilo on the app, for /healthz and /dashboard).
///
/// Keys (environment variables use __ for :):
///   ConnectionStrings:ElectraLab       PostgreSQL for metrics, checkpoints, results, grain state and reminders (required)
///   Orleans:ClusterId                  set: PostgreSQL membership (ADO.NET) for a multi-machine cluster;
///                                      unset: localhost clustering (the embedded default)
///   Orleans:ServiceId                  default "electralab" (grain state and reminders are keyed by it)
///   Orleans:SiloPort / GatewayPort     default 11111 / 30000; give each silo on one machine its own pair
///   Orleans:PrimarySiloPort            localhost clustering: the first silo's port (default 11111)
///   Orleans:AdvertisedIP               default 127.0.0.1
///   Orleans:Membership:*               ClusterMembershipOptions (e.g. ProbeTimeout, NumMissedProbesLimit)
///   Orleans:Messaging:*                SiloMessagingOptions (e.g. ResponseTimeout)
///   Orleans:Dashboard:Enabled          default true; served at /dashboard on the host's Urls
///   ElectraLab:Slots:*, ElectraLab:Jobs:*, ElectraLab:Scheduler:*   see ElectraLab.Grains.Hosting options
/// </summary>
public static class ElectraLabSiloHostingExtensions
{
    public static IHostApplicationBuilder AddElectraLabSilo(this IHostApplicationBuilder builder, Action<ISiloBuilder>? configure = null)
    {
        var configuration = builder.Configuration;
        // Registered before Orleans, so the schema (membership, storage, reminders) exists before the silo starts.
        builder.Services.AddElectraLabStorage(configuration);
        builder.AddElectraLabServiceDefaults("electralab-silo");
        builder.Services.AddHealthChecks().AddCheck<SiloActiveCheck>("silo", tags: [HealthEndpoints.ReadyTag]);
        builder.UseOrleans(silo =>
        {
            var siloPort = configuration.GetValue("Orleans:SiloPort", EndpointOptions.DEFAULT_SILO_PORT);
            var gatewayPort = configuration.GetValue("Orleans:GatewayPort", EndpointOptions.DEFAULT_GATEWAY_PORT);
            var clusterId = configuration["Orleans:ClusterId"];
            var serviceId = configuration["Orleans:ServiceId"] ?? "electralab";
            if (string.IsNullOrWhiteSpace(clusterId))
            {
                var primary = configuration.GetValue("Orleans:PrimarySiloPort", EndpointOptions.DEFAULT_SILO_PORT);
                silo.UseLocalhostClustering(siloPort, gatewayPort, new IPEndPoint(IPAddress.Loopback, primary), serviceId, "electralab-local");
            }
            else
            {
                var connectionString = configuration.GetConnectionString(StorageOptions.ConnectionStringName);
                silo.UseAdoNetClustering(o =>
                {
                    o.Invariant = "Npgsql";
                    o.ConnectionString = connectionString;
                });
                silo.Configure<ClusterOptions>(o =>
                {
                    o.ClusterId = clusterId;
                    o.ServiceId = serviceId;
                });
                var advertised = IPAddress.Parse(configuration["Orleans:AdvertisedIP"] ?? "127.0.0.1");
                silo.ConfigureEndpoints(advertised, siloPort, gatewayPort, listenOnAnyHostAddress: false);
            }
            silo.Services.Configure<ClusterMembershipOptions>(configuration.GetSection("Orleans:Membership"));
            silo.Services.Configure<SiloMessagingOptions>(configuration.GetSection("Orleans:Messaging"));
            silo.AddElectraLabPlatform(configuration);
            if (configuration.GetValue("Orleans:Dashboard:Enabled", true)) silo.AddDashboard();
            configure?.Invoke(silo);
        });
        return builder;
    }
}
