using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using ElectraLab.Storage;
using Npgsql;

namespace ElectraLab.Tests.Shared;

/// <summary>
/// A PostgreSQL server of the test's own (initdb in a temp folder, a free loopback port), so a test can stop and start
/// it under running code without touching the server the other tests share. Needs the server binaries
/// (/usr/lib/postgresql/N/bin, which .ci/run installs); without them the test skips, except under CI.
/// As root the tools run as the postgres user (the server refuses root).
/// </summary>
public sealed class OutagePostgresServer : IAsyncDisposable
{
    private readonly string _bin;
    private readonly string[] _runAs;
    private bool _running;

    private OutagePostgresServer(string bin, string dataDirectory, int port, string[] runAs)
    {
        _bin = bin;
        DataDirectory = dataDirectory;
        Port = port;
        _runAs = runAs;
    }

    public string DataDirectory { get; }

    public int Port { get; }

    public string ConnectionString => new NpgsqlConnectionStringBuilder
    {
        Host = "127.0.0.1", Port = Port, Username = "postgres", Database = "electralab", MaxPoolSize = 60, Timeout = 5,
    }.ConnectionString;

    /// <summary>The server binaries' folder, or null (then the caller skips, or fails under CI).</summary>
    public static string? Binaries() => Directory.Exists("/usr/lib/postgresql")
        ? Directory.GetDirectories("/usr/lib/postgresql").Select(d => Path.Combine(d, "bin"))
            .Where(d => File.Exists(Path.Combine(d, "initdb"))).OrderDescending().FirstOrDefault()
        : null;

    /// <summary>initdb, start, create and migrate the <c>electralab</c> database.</summary>
    public static async Task<OutagePostgresServer> StartAsync()
    {
        var bin = Binaries() ?? throw new InvalidOperationException("PostgreSQL server binaries not found under /usr/lib/postgresql");
        var root = Environment.UserName == "root";
        var data = Path.Combine(Path.GetTempPath(), $"electralab-outage-pg-{Guid.NewGuid():N}");
        Directory.CreateDirectory(data);
        string[] runAs = root ? ["runuser", "-u", "postgres", "--"] : [];
        if (root) await Run("chown", "postgres:postgres", data);
        var server = new OutagePostgresServer(bin, data, FreePort(), runAs);
        await server.Tool("initdb", "-D", data, "-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-instructions");
        await server.StartServerAsync();
        await using (var admin = new NpgsqlConnection(new NpgsqlConnectionStringBuilder(server.ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString))
        {
            await admin.OpenAsync();
            await using var create = new NpgsqlCommand("CREATE DATABASE electralab", admin);
            await create.ExecuteNonQueryAsync();
        }
        await using (var source = StorageDataSource.Create(server.ConnectionString))
        {
            await new StorageMigrator(source).MigrateAsync();
        }
        return server;
    }

    public async Task StartServerAsync()
    {
        await Tool("pg_ctl", "-D", DataDirectory, "-l", Path.Combine(DataDirectory, "server.log"), "-o",
            $"-p {Port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200 -c fsync=off", "-w", "-t", "60", "start");
        _running = true;
    }

    /// <summary>Fast shutdown: open sessions are terminated (57P01), as in an operator's restart.</summary>
    public async Task StopServerAsync()
    {
        await Tool("pg_ctl", "-D", DataDirectory, "-m", "fast", "-w", "-t", "60", "stop");
        _running = false;
    }

    public async ValueTask DisposeAsync()
    {
        if (_running) await StopServerAsync();
        try
        {
            Directory.Delete(DataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A temp folder; nothing depends on it being gone.
        }
    }

    private Task Tool(string tool, params string[] arguments) => Run([.. _runAs, Path.Combine(_bin, tool), .. arguments]);

    private static async Task Run(params string[] command)
    {
        var start = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in command[1..]) start.ArgumentList.Add(argument);
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{string.Join(' ', command)} exited {process.ExitCode}: {await output}{await error}");
        }
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
