using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using ElectraLab.Api.Endpoints;
using ElectraLab.Grains.Hosting;
using ElectraLab.Storage;
using ElectraLab.Storage.Entities;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using ElectraLab.Tests.Shared;
using Orleans.TestingHost;

namespace ElectraLab.Api.Tests.Support;

/// <summary>
/// The API under test for one test class: a fresh migrated database on ELECTRALAB_TEST_PG, a real in-process Orleans
/// cluster running the platform grains (no-op workloads, so nothing trains), and the API hosted by
/// WebApplicationFactory&lt;Program&gt; using that cluster's client. Without a server the tests skip visibly, except
/// under CI=true, where that is a failure.
/// </summary>
public class ApiHost : IAsyncLifetime
{
    public const string AdminKey = "test-admin-key-0123456789abcdef";

    private readonly ApiTestDatabase _database = new();
    private InProcessTestCluster? _cluster;

    public string? SkipReason => _database.SkipReason;
    public string ConnectionString => _database.ConnectionString;
    public NpgsqlDataSource DataSource => _database.DataSource;
    public WebApplicationFactory<Program> Factory { get; private set; } = null!;
    public IClusterClient Cluster => _cluster!.Client;

    /// <summary>Extra API settings a test class wants (set before the fixture starts).</summary>
    public Dictionary<string, string?> Settings { get; } = [];

    /// <summary>Extra services for the API host (e.g. a telemetry exporter), applied after the API's own.</summary>
    public Action<IServiceCollection>? ConfigureServices { get; init; }

    /// <summary>Serve on a loopback Kestrel port (for browsers, the CLI and latency), not only the in-memory server.</summary>
    public bool Kestrel { get; init; }

    /// <summary>With <see cref="Kestrel"/>: the server's address, e.g. http://127.0.0.1:41234.</summary>
    public Uri? Address { get; private set; }

    public async Task InitializeAsync()
    {
        await _database.InitializeAsync();
        if (SkipReason is not null) return;

        var siloConfig = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ElectraLab"] = ConnectionString,
            ["ElectraLab:Slots:Cpu"] = "2",
            ["ElectraLab:Slots:ThreadsPerSlot"] = "1",
            ["ElectraLab:Slots:Cuda"] = "off",
            ["ElectraLab:Jobs:HeartbeatInterval"] = "00:00:01",
            ["ElectraLab:Jobs:HeartbeatTimeout"] = "00:00:20",
            ["ElectraLab:Scheduler:WorkerReportInterval"] = "00:00:00.500",
            ["ElectraLab:Scheduler:WorkerLeaseTimeout"] = "00:00:10",
        };
        var builder = new InProcessTestClusterBuilder(1);
        builder.Options.ServiceId = $"api-tests-{Guid.NewGuid():N}";
        builder.ConfigureClient(client => client.AddActivityPropagation());
        builder.ConfigureSiloHost((_, host) =>
        {
            host.Configuration.AddInMemoryCollection(siloConfig);
            host.UseOrleans(silo => silo.AddElectraLabPlatform(host.Configuration));
        });
        _cluster = builder.Build();
        await _cluster.DeployAsync();

        var settings = new Dictionary<string, string?>
        {
            ["ConnectionStrings:ElectraLab"] = ConnectionString,
            ["ElectraLab:Api:AdminKey"] = AdminKey,
            ["ElectraLab:Api:Orleans"] = "none",
            ["ElectraLab:Api:EventPollInterval"] = "00:00:00.100",
        };
        foreach (var (key, value) in Settings) settings[key] = value;
        Factory = new WebApplicationFactory<Program>().WithWebHostBuilder(web =>
        {
            foreach (var (key, value) in settings) web.UseSetting(key, value);
            if (Kestrel) web.UseSetting("urls", "http://127.0.0.1:0");
            web.ConfigureTestServices(services =>
            {
                services.AddSingleton(Cluster);
                services.AddSingleton<IGrainFactory>(Cluster);
                ConfigureServices?.Invoke(services);
            });
        });
        if (Kestrel)
        {
            Factory.UseKestrel(0);
            Factory.StartServer();
            var addresses = Factory.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses;
            Address = new Uri(addresses.First().Replace("[::]", "127.0.0.1").Replace("localhost", "127.0.0.1"));
        }
        else
        {
            Factory.CreateClient().Dispose();
        }
    }

    public virtual async Task DisposeAsync()
    {
        if (SkipReason is not null) return;
        await Factory.DisposeAsync();
        if (_cluster is not null) await _cluster.DisposeAsync();
        await _database.DisposeAsync();
    }

    public void SkipIfUnavailable() => Skip.If(SkipReason is not null, SkipReason);

    public ElectraLabDbContext CreateContext() => StorageDataSource.CreateContext(DataSource);

    public T Service<T>() where T : notnull => Factory.Services.GetRequiredService<T>();

    public HttpClient Client(string? key = null)
    {
        var client = Address is null ? Factory.CreateClient() : new HttpClient { BaseAddress = Address };
        if (key is not null) client.DefaultRequestHeaders.Add("X-Api-Key", key);
        return client;
    }

    /// <summary>A new team with one user, made through the API with the admin key; returns its member's key.</summary>
    public async Task<TestTeam> CreateTeamAsync(string? name = null)
    {
        using var admin = Client(AdminKey);
        name ??= $"team-{Guid.NewGuid():N}"[..20];
        var team = await ReadAsync<TeamView>(await admin.PostAsJsonAsync("/api/teams", new { name }));
        var user = await ReadAsync<UserCreated>(await admin.PostAsJsonAsync($"/api/teams/{team.Id}/users",
            new { name = "Ada", email = $"ada-{Guid.NewGuid():N}@example.org" }));
        return new TestTeam(team.Id, team.Name, user.User.Id, user.ApiKey.Key, user.ApiKey.Id);
    }

    public static async Task<T> ReadAsync<T>(HttpResponseMessage response)
    {
        var body = await response.Content.ReadAsStringAsync();
        Assert.True(response.IsSuccessStatusCode, $"{(int)response.StatusCode}: {body}");
        return JsonSerializer.Deserialize<T>(body, Json)!;
    }

    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        Converters = { new System.Text.Json.Serialization.JsonStringEnumConverter() },
    };

    public static StringContent Yaml(string text) => new(text, Encoding.UTF8, new MediaTypeHeaderValue("application/yaml"));

    public static StringContent JsonBody(string text) => new(text, Encoding.UTF8, new MediaTypeHeaderValue("application/json"));

    /// <summary>A minimal runnable sweep of no-op jobs (nothing trains) for a team.</summary>
    public static string NoopSweep(string team, string name = "noop", int trials = 2, int noopMs = 0) => $$"""
        name: {{name}}
        team: {{team}}
        search:
          method: random
          max_trials: {{trials}}
          random:
            learning_rate: {distribution: log_uniform, min: 1.0e-5, max: 1.0e-3}
        workload: {kind: noop, noop_ms: {{noopMs}}}
        """;

    /// <summary>An experiment row with results, metrics and a checkpoint, written through Storage.</summary>
    public async Task<Experiment> SeedExperimentAsync(Guid teamId, string name, string objective = "electra", double trainFlops = 1e17,
        double? glue = 0.8, string[]? tags = null, string status = "completed", int metricSteps = 0, string[]? glueTasks = null, double lossOffset = 0)
    {
        var now = DateTimeOffset.UtcNow;
        var experiment = new Experiment
        {
            Id = Guid.CreateVersion7(), TeamId = teamId, Name = name, Objective = objective, Config = """{"model_size":"small","mask_prob":0.15}""",
            GeneratorSize = 0.25, ModelSize = "small", Params = 14_000_000, Seed = 1, Status = status, Tags = tags ?? [],
            TrainFlops = trainFlops, CreatedAt = now, UpdatedAt = now,
        };
        await using (var db = CreateContext())
        {
            db.Experiments.Add(experiment);
            await db.SaveChangesAsync();
        }
        if (glue is { } score)
        {
            var rows = new List<Storage.Results.EvaluationResultRow>();
            foreach (var column in Storage.Results.Benchmarks.For(Storage.Results.Benchmarks.Glue)
                         .Where(c => glueTasks is null || glueTasks.Contains(c.Task)))
            {
                for (var seed = 1; seed <= 3; seed++)
                    rows.Add(new(experiment.Id, 1000, column.Task, column.Metric, seed, score + (seed - 2) * 0.01));
            }
            await Service<Storage.Results.EvaluationResultStore>().AddAsync(rows);
        }
        if (metricSteps > 0)
        {
            var writer = Service<Storage.Metrics.MetricWriter>();
            for (var step = 1; step <= metricSteps; step++)
            {
                await writer.WriteAsync(new(experiment.Id, "mlm_loss", step, 6.0 * Math.Exp(-step / 300.0) + 1.0 + lossOffset, null, now));
                await writer.WriteAsync(new(experiment.Id, "disc_loss", step, 0.6 * Math.Exp(-step / 200.0) + 0.2 + lossOffset, null, now));
                await writer.WriteAsync(new(experiment.Id, "learning_rate", step, 5e-4, null, now));
            }
            await writer.FlushAsync();
        }
        return experiment;
    }
}

/// <summary>The API on a loopback Kestrel port, for clients that need a real socket: browsers, the CLI, latency.</summary>
public sealed class KestrelApiHost : ApiHost
{
    public KestrelApiHost() => Kestrel = true;
}

/// <summary>The API tests' fresh database per fixture (<see cref="PostgresTestDatabase"/>).</summary>
public sealed class ApiTestDatabase() : PostgresTestDatabase("electralab_api_test");

public sealed record TestTeam(Guid Id, string Name, Guid UserId, string Key, Guid KeyId);
