using ElectraLab.Grains.Jobs;
using ElectraLab.Grains.Records;
using ElectraLab.Grains.Scheduling;
using ElectraLab.Storage;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Configuration;
using Orleans.Runtime;
using Orleans.Runtime.Hosting;
using Orleans.Storage;

namespace ElectraLab.Grains.Hosting;

public static class PlatformSiloBuilderExtensions
{
    /// <summary>The grain storage provider every ElectraLab grain persists to.</summary>
    public const string StorageName = "electralab";

    /// <summary>The ADO.NET provider underneath <see cref="StorageName"/> (<see cref="OutageTolerantGrainStorage"/> wraps it).</summary>
    private const string AdoNetStorageName = "electralab-adonet";

    /// <summary>
    /// Adds the ElectraLab grains' services to a silo: Storage on <c>ConnectionStrings:ElectraLab</c>, grain state and
    /// reminders in the same PostgreSQL database (ADO.NET, invariant Npgsql), device slots, the job runner, and the
    /// worker placement. Clustering and endpoints are the host's business (see the Silo project's AddElectraLabSilo).
    /// </summary>
    public static ISiloBuilder AddElectraLabPlatform(this ISiloBuilder silo, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(StorageOptions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"The ElectraLab silo needs a database: set ConnectionStrings:{StorageOptions.ConnectionStringName} " +
                $"(environment ConnectionStrings__{StorageOptions.ConnectionStringName}).");
        }
        var services = silo.Services;
        // Metric points that do not fit in memory during a database outage go to the silo's own disk.
        var work = configuration[$"{JobOptions.Section}:{nameof(JobOptions.WorkDirectory)}"] ?? JobOptions.DefaultWorkDirectory;
        services.TryAddSingleton(new StorageOptions
        {
            ConnectionString = connectionString,
            MetricSpillDirectory = Path.Combine(work, "metric-spill"),
        });
        services.AddElectraLabStorage(configuration);
        // Grain calls carry the caller's trace context (W3C), so a sweep's trace runs through the grains; spans are made
        // only while something listens (an OpenTelemetry tracer, see Observability/).
        silo.AddActivityPropagation();
        silo.AddAdoNetGrainStorage(AdoNetStorageName, o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = connectionString;
        });
        services.AddGrainStorage(StorageName, (sp, _) =>
            new OutageTolerantGrainStorage(sp.GetRequiredKeyedService<IGrainStorage>(AdoNetStorageName)));
        silo.UseAdoNetReminderService(o =>
        {
            o.Invariant = "Npgsql";
            o.ConnectionString = connectionString;
        });
        // Heartbeat checks run from reminders, whose period follows ElectraLab:Jobs:HeartbeatTimeout (down to 1 s).
        services.Configure<ReminderOptions>(o => o.MinimumReminderPeriod = TimeSpan.FromSeconds(1));

        services.AddOptions<SlotOptions>().Bind(configuration.GetSection(SlotOptions.Section));
        services.AddOptions<JobOptions>().Bind(configuration.GetSection(JobOptions.Section))
            .Validate(o => o.HeartbeatTimeout > o.HeartbeatInterval, "ElectraLab:Jobs:HeartbeatTimeout must exceed HeartbeatInterval")
            .ValidateOnStart();
        services.AddOptions<SchedulerOptions>().Bind(configuration.GetSection(SchedulerOptions.Section))
            .Validate(o => o.WorkerLeaseTimeout > o.WorkerReportInterval, "ElectraLab:Scheduler:WorkerLeaseTimeout must exceed WorkerReportInterval")
            .ValidateOnStart();

        services.TryAddSingleton<PlatformStore>();
        services.TryAddSingleton(sp => DeviceSlots.Discover(sp.GetRequiredService<IOptions<SlotOptions>>().Value,
            sp.GetRequiredService<ILoggerFactory>().CreateLogger<DeviceSlots>()));
        services.TryAddSingleton<JobRunner>();
        services.AddSingleton<ILifecycleParticipant<ISiloLifecycle>>(sp => sp.GetRequiredService<JobRunner>());
        silo.AddIncomingGrainCallFilter<StorageOutageCallFilter>();
        services.AddPlacementDirector<SiloBoundPlacement, SiloBoundPlacementDirector>();
        return silo;
    }
}
