using System.Security.Cryptography;
using ElectraLab.Silo;
using ElectraLab.Storage;
using ElectraLab.Storage.Auth;
using ElectraLab.Storage.Entities;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;

namespace ElectraLab.Cli.Commands;

/// <summary>
/// The API as `electralab up` runs it (one silo with the API co-hosted, in this process) on a scratch database created
/// on the given server and dropped on dispose, with one team and a member's key to read as.
/// </summary>
public sealed class ApiBenchHost : IAsyncDisposable
{
    private readonly string _serverConnectionString;
    private readonly string _database;
    private readonly WebApplication _app;

    private ApiBenchHost(string serverConnectionString, string database, WebApplication app, Uri server, string connectionString)
    {
        _serverConnectionString = serverConnectionString;
        _database = database;
        _app = app;
        Server = server;
        ConnectionString = connectionString;
    }

    public Uri Server { get; }

    public string ConnectionString { get; }

    public NpgsqlDataSource DataSource => _app.Services.GetRequiredService<NpgsqlDataSource>();

    public StorageOptions StorageOptions => _app.Services.GetRequiredService<StorageOptions>();

    public static async Task<ApiBenchHost> StartAsync(string serverConnectionString, bool cache, CancellationToken cancellationToken)
    {
        var database = $"electralab_apibench_{DateTime.UtcNow:yyyyMMddHHmmss}_{RandomNumberGenerator.GetHexString(4, lowercase: true)}";
        await AdminAsync(serverConnectionString, $"CREATE DATABASE {database}", cancellationToken);
        WebApplication? app = null;
        try
        {
            var connectionString = new NpgsqlConnectionStringBuilder(serverConnectionString) { Database = database }.ConnectionString;
            var server = new Uri($"http://127.0.0.1:{Stack.EmbeddedStack.FreePort()}/");
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["ConnectionStrings:ElectraLab"] = connectionString,
                ["Urls"] = server.ToString().TrimEnd('/'),
                ["Orleans:ClusterId"] = "",
                ["Orleans:SiloPort"] = Stack.EmbeddedStack.FreePort().ToString(),
                ["Orleans:GatewayPort"] = Stack.EmbeddedStack.FreePort().ToString(),
                [ElectraLabHost.HostApiKey] = "true",
                ["ElectraLab:Slots:Cpu"] = "1",
                ["ElectraLab:Slots:Cuda"] = "off",
                ["Logging:LogLevel:Default"] = "Warning",
                ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
                ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
                ["Logging:LogLevel:Orleans"] = "Error",
            });
            // Off: what the cache is compared against (a build without the cache ignores the key).
            if (!cache) builder.Configuration["ElectraLab:Api:ReadCacheEntries"] = "0";
            builder.Configuration["Orleans:PrimarySiloPort"] = builder.Configuration["Orleans:SiloPort"];
            app = ElectraLabHost.Build(builder);
            await app.StartAsync(cancellationToken);
            return new ApiBenchHost(serverConnectionString, database, app, server, connectionString);
        }
        catch
        {
            if (app is not null) await app.DisposeAsync();
            await AdminAsync(serverConnectionString, $"DROP DATABASE IF EXISTS {database} WITH (FORCE)", CancellationToken.None);
            throw;
        }
    }

    /// <summary>A team with one user; returns the team and that user's API key.</summary>
    public async Task<(Guid Team, string Key)> CreateTeamAsync(string name, CancellationToken cancellationToken)
    {
        var team = new Team { Id = Guid.CreateVersion7(), Name = name, CreatedAt = DateTimeOffset.UtcNow };
        var user = new User { Id = Guid.CreateVersion7(), TeamId = team.Id, Name = "bench", Email = $"bench@{name}.invalid", CreatedAt = team.CreatedAt };
        await using (var db = StorageDataSource.CreateContext(DataSource))
        {
            db.Teams.Add(team);
            db.Users.Add(user);
            await db.SaveChangesAsync(cancellationToken);
        }
        var key = await new ApiKeyStore(DataSource).IssueAsync(user.Id, cancellationToken);
        return (team.Id, key.Key);
    }

    private static async Task AdminAsync(string serverConnectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(serverConnectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            using var patience = new CancellationTokenSource(TimeSpan.FromSeconds(30));
            await _app.StopAsync(patience.Token);
            await _app.DisposeAsync();
        }
        finally
        {
            await AdminAsync(_serverConnectionString, $"DROP DATABASE IF EXISTS {_database} WITH (FORCE)", CancellationToken.None);
        }
    }
}
