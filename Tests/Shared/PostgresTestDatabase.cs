using ElectraLab.Storage;
using Npgsql;

namespace ElectraLab.Tests.Shared;

/// <summary>
/// A fresh, migrated database per test class on the server named by ELECTRALAB_TEST_PG, dropped afterwards.
/// Without a reachable server the tests skip visibly, except under CI (CI=true), where that is a failure.
/// One source file compiled into each PostgreSQL test project (linked, not a project: test projects stay independent).
/// </summary>
public abstract class PostgresTestDatabase(string prefix, int maxPoolSize = 100) : IAsyncLifetime
{
    public const string ServerVariable = "ELECTRALAB_TEST_PG";

    private string? _adminConnectionString;

    public string? SkipReason { get; private set; }
    public string DatabaseName { get; } = $"{prefix}_{Guid.NewGuid():N}";
    public string ConnectionString { get; private set; } = "";
    public NpgsqlDataSource DataSource { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        var server = Environment.GetEnvironmentVariable(ServerVariable);
        var underCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        if (string.IsNullOrWhiteSpace(server))
        {
            SkipReason = $"{ServerVariable} is not set: no PostgreSQL to test against.";
            if (underCi) throw new InvalidOperationException($"CI=true but {SkipReason}");
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
        ConnectionString = new NpgsqlConnectionStringBuilder(server) { Database = DatabaseName, MaxPoolSize = maxPoolSize }.ConnectionString;
        DataSource = StorageDataSource.Create(ConnectionString);
        await new StorageMigrator(DataSource).MigrateAsync();
    }

    public async Task DisposeAsync()
    {
        if (_adminConnectionString is null) return;
        await DataSource.DisposeAsync();
        NpgsqlConnection.ClearAllPools();
        await using var admin = new NpgsqlConnection(_adminConnectionString);
        await admin.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {DatabaseName} WITH (FORCE)", admin);
        await drop.ExecuteNonQueryAsync();
    }

    public void SkipIfUnavailable() => Skip.If(SkipReason is not null, SkipReason);

    public ElectraLabDbContext CreateContext() => StorageDataSource.CreateContext(DataSource);

    public async Task<T> ScalarAsync<T>(string sql, params object[] parameters)
    {
        await using var command = DataSource.CreateCommand(sql);
        foreach (var p in parameters) command.Parameters.Add(new NpgsqlParameter { Value = p });
        return (T)(await command.ExecuteScalarAsync())!;
    }
}
