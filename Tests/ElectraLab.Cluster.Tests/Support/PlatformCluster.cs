using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Grains.Hosting;
using ElectraLab.Grains.Sweeps;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;
using Orleans.TestingHost;
using ElectraLab.Sweeps;

namespace ElectraLab.Cluster.Tests.Support;

/// <summary>An in-process Orleans cluster running the real platform (grains, scheduler, job runner) on a test database.</summary>
public sealed class PlatformCluster : IAsyncDisposable
{
    private PlatformCluster(InProcessTestCluster cluster) => Cluster = cluster;

    public InProcessTestCluster Cluster { get; }
    public IClusterClient Client => Cluster.Client;

    public static async Task<PlatformCluster> StartAsync(PostgresDatabase database, int silos = 1, int cpuSlots = 1,
        Dictionary<string, string?>? settings = null, string? serviceId = null)
    {
        var config = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ElectraLab"] = database.ConnectionString,
            ["ElectraLab:Slots:Cpu"] = cpuSlots.ToString(),
            ["ElectraLab:Slots:ThreadsPerSlot"] = "1",
            ["ElectraLab:Slots:Cuda"] = "off",
            ["ElectraLab:Jobs:HeartbeatInterval"] = "00:00:01",
            ["ElectraLab:Jobs:HeartbeatTimeout"] = "00:00:20",
            ["ElectraLab:Jobs:GlueDataDirectory"] = TestData.GlueDirectory,
            ["ElectraLab:Scheduler:WorkerReportInterval"] = "00:00:00.500",
            ["ElectraLab:Scheduler:WorkerLeaseTimeout"] = "00:00:10",
        };
        foreach (var (key, value) in settings ?? []) config[key] = value;
        var builder = new InProcessTestClusterBuilder((short)silos);
        // Grain state and reminders are keyed by the service id: a second cluster with the same id takes over the first's.
        if (serviceId is not null) builder.Options.ServiceId = serviceId;
        // The client carries the caller's trace context into grain calls, as the API's client does.
        builder.ConfigureClient(client => client.AddActivityPropagation());
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(config);
            host.UseOrleans(silo => silo.AddElectraLabPlatform(host.Configuration));
        });
        var cluster = builder.Build();
        await cluster.DeployAsync();
        return new PlatformCluster(cluster);
    }

    public async Task<(ISweepGrain Sweep, SweepSubmission Submission)> SubmitAsync(string yaml)
    {
        var spec = SweepSpecLoader.FromYaml(yaml);
        var sweep = Client.GetGrain<ISweepGrain>(Guid.NewGuid());
        return (sweep, await sweep.SubmitAsync(spec));
    }

    public Task<SweepStatus> WaitForSweepAsync(ISweepGrain sweep, TimeSpan timeout, TimeSpan? poll = null) =>
        Wait.UntilAsync(sweep.GetStatusAsync, s => s.IsFinished, timeout, "the sweep to finish", poll);

    public Task<ExperimentStatus> WaitForExperimentAsync(Guid experimentId, Func<ExperimentStatus, bool> condition, TimeSpan timeout, string what) =>
        Wait.UntilAsync(Client.GetGrain<IExperimentGrain>(experimentId).GetStatusAsync, condition, timeout, what);

    public async ValueTask DisposeAsync() => await Cluster.DisposeAsync();
}

/// <summary>Polling with a deadline: the tests wait on observable state, never on fixed sleeps.</summary>
public static class Wait
{
    /// <summary>The status of a GET, or 0 while nothing listens there yet (a silo still starting).</summary>
    public static async Task<System.Net.HttpStatusCode> HttpStatusAsync(HttpClient http, string path)
    {
        try
        {
            using var response = await http.GetAsync(path);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }

    public static async Task<T> UntilAsync<T>(Func<Task<T>> read, Func<T, bool> condition, TimeSpan timeout, string what,
        TimeSpan? poll = null)
    {
        var deadline = DateTime.UtcNow + timeout;
        T value;
        while (!condition(value = await read()))
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException($"Timed out after {timeout} waiting for {what}; last: {value}");
            await Task.Delay(poll ?? TimeSpan.FromMilliseconds(50));
        }
        return value;
    }
}
