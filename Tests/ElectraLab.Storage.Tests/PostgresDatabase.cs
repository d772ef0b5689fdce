using ElectraLab.Storage.Entities;
using Npgsql;

namespace ElectraLab.Storage.Tests;

/// <summary>
/// A fresh, migrated database per test class on the server named by ELECTRALAB_TEST_PG, dropped afterwards.
/// Without a reachable server the tests skip visibly, except under CI (CI=true), where that is a failure.
/// </summary>
public sealed class PostgresDatabase : IAsyncLifetime
{
    public const string ServerVariable = "ELECTRALAB_TEST_PG";

    private string? _adminConnectionString;

    public string? SkipReason { get; private set; }
    public string DatabaseName { get; } = $"electralab_test_{Guid.NewGuid():N}";
    public string ConnectionString { get; private set; } = "";
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        var underCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(server))
        {
            SkipReason = $"{ServerVariable} is not set: no PostgreSQL to test against.";
            if (underCi)
            {
                throw new InvalidOperationException($"CI=true but {SkipReason}");
            }
            return;
        }
        try
        {
            await using var admin = new NpgsqlConnection(server);
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {DatabaseName}", admin);
            await create.ExecuteNonQueryAsync();
        }
        catch (NpgsqlException ex) when (!underCi)
        {
            SkipReason = $"PostgreSQL at {ServerVariable} is not reachable: {ex.Message}";
            return;
        }
        _adminConnectionString = server;
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = DatabaseName }.ConnectionString;
        DataSource = StorageDataSource.Create(ConnectionString);
        await new StorageMigrator(DataSource).MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        if (_adminConnectionString is null)
        {
            return;
        }
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {DatabaseName} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    public void SkipIfUnavailable() => Skip.If(SkipReason is not null, SkipReason);

    public ElectraLabDbContext CreateContext() => StorageDataSource.CreateContext(DataSource);

    public async Task<Team> AddTeamAsync(string? name = null)
    {
        var team = new Team { Id = Guid.NewGuid(), Name = name ?? $"team-{Guid.NewGuid():N}", CreatedAt = DateTimeOffset.UtcNow };
        await using var db = CreateContext();
        db.Teams.Add(team);
        await db.SaveChangesAsync();
        return team;
    }

    public async Task<Experiment> AddExperimentAsync(Guid teamId, string name = "exp", string objective = "electra",
        string[]? tags = null, string? notes = null, string config = """{"model":{"hidden":256},"lr":0.0005}""",
        string status = "completed", long parameters = 14_000_000, double generatorSize = 0.25)
    {
        var now = DateTimeOffset.UtcNow;
        var experiment = new Experiment
        {
            Id = Guid.NewGuid(), TeamId = teamId, Name = name, Config = config, Objective = objective,
            GeneratorSize = generatorSize, ModelSize = "small", Params = parameters, Seed = 1, Status = status,
            Tags = tags ?? [], Notes = notes, TrainFlops = 1.4e18, CreatedAt = now, UpdatedAt = now,
        };
        await using var db = CreateContext();
        db.Experiments.Add(experiment);
        await db.SaveChangesAsync();
        return experiment;
    }
}
