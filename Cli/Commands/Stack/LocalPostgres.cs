using System.Net.Sockets;
using System.Runtime.InteropServices;
using Npgsql;

namespace ElectraLab.Cli.Commands.Stack;

/// <summary>
/// The embedded default's private PostgreSQL: the machine's server binaries (installed with apt-get when missing and
/// allowed), a data directory of our own, listening on one loopback port only, stopped again by whoever started it.
/// The server refuses to run as root, so as root initdb and pg_ctl run as the `postgres` user (PLATFORM.md); that user
/// cannot enter /root, so root's data directory is /var/lib/electralab/postgres unless one is given.
/// </summary>
public sealed class LocalPostgres : IAsyncDisposable
{
    public const string Database = "electralab";
    private const string SuperUser = "postgres";

    private readonly string _bin;
    private readonly string[] _runAs;
    private bool _started;

    private LocalPostgres(string bin, string dataDirectory, int port, string[] runAs)
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
        Host = "127.0.0.1", Port = Port, Username = SuperUser, Database = Database, Pooling = true, MaxPoolSize = 50,
    }.ConnectionString;

    public static bool IsRoot => !OperatingSystem.IsWindows() && geteuid() == 0;

    [DllImport("libc")]
    private static extern uint geteuid();

    /// <summary>Where the server's data lives when no folder is given.</summary>
    public static string DefaultDataDirectory(string dataRoot) =>
        IsRoot && dataRoot.StartsWith("/root", StringComparison.Ordinal) ? "/var/lib/electralab/postgres" : Path.Combine(dataRoot, "postgres");

    /// <summary>Starts (or, when already running on this port with this data, adopts) the private server.</summary>
    public static async Task<LocalPostgres> StartAsync(string dataDirectory, int port, bool mayInstall, TextWriter log,
        CancellationToken cancellationToken)
    {
        var bin = FindBinaries() ?? await InstallAsync(mayInstall, log, cancellationToken);
        string[] runAs = IsRoot ? ["runuser", "-u", SuperUser, "--"] : [];
        var server = new LocalPostgres(bin, Path.GetFullPath(dataDirectory), port, runAs);
        await server.InitializeAsync(log, cancellationToken);
        if (await server.IsOursAndRunningAsync(cancellationToken))
        {
            log.WriteLine($"PostgreSQL already running on 127.0.0.1:{port} (data {server.DataDirectory}); using it");
        }
        else
        {
            if (IsListening(port)) throw new UserInputException($"port {port} is taken by another program; choose another with --pg-port");
            await server.RunAsync(cancellationToken, "pg_ctl", "-D", server.DataDirectory, "-l", Path.Combine(server.DataDirectory, "server.log"),
                "-o", $"-p {port} -k /tmp -c listen_addresses=127.0.0.1 -c max_connections=200", "-w", "-t", "60", "start");
            server._started = true;
            log.WriteLine($"PostgreSQL started on 127.0.0.1:{port} (data {server.DataDirectory})");
        }
        try
        {
            await server.EnsureDatabaseAsync(cancellationToken);
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
        return server;
    }

    /// <summary>The newest /usr/lib/postgresql/N/bin holding initdb, else initdb on PATH.</summary>
    public static string? FindBinaries()
    {
        const string root = "/usr/lib/postgresql";
        if (Directory.Exists(root))
        {
            var newest = Directory.GetDirectories(root)
                .Select(d => (Dir: Path.Combine(d, "bin"), Version: double.TryParse(Path.GetFileName(d), out var v) ? v : 0))
                .Where(d => File.Exists(Path.Combine(d.Dir, "initdb")))
                .OrderByDescending(d => d.Version).FirstOrDefault();
            if (newest.Dir is not null) return newest.Dir;
        }
        return ProcessRunner.Which("initdb") is { } initdb ? Path.GetDirectoryName(initdb) : null;
    }

    private static async Task<string> InstallAsync(bool mayInstall, TextWriter log, CancellationToken cancellationToken)
    {
        const string manual = "install it (Debian/Ubuntu: sudo apt-get install -y postgresql) and run this again";
        if (!mayInstall) throw new UserInputException($"PostgreSQL's server binaries were not found; {manual}");
        if (ProcessRunner.Which("apt-get") is null) throw new UserInputException($"PostgreSQL's server binaries were not found and there is no apt-get; {manual}");
        string[] prefix;
        if (IsRoot)
        {
            prefix = [];
        }
        else if (ProcessRunner.Which("sudo") is not null && (await ProcessRunner.RunAsync("sudo", ["-n", "true"], cancellationToken)).ExitCode == 0)
        {
            prefix = ["sudo", "-n"];
        }
        else
        {
            throw new UserInputException($"PostgreSQL's server binaries were not found and installing needs root; {manual}");
        }
        var environment = new Dictionary<string, string> { ["DEBIAN_FRONTEND"] = "noninteractive" };
        foreach (var step in new[] { new[] { "apt-get", "update" }, ["apt-get", "install", "-y", "--no-install-recommends", "postgresql"] })
        {
            log.WriteLine($"PostgreSQL is missing: {string.Join(' ', prefix.Concat(step))} ...");
            string[] command = [.. prefix, .. step];
            var result = await ProcessRunner.RunAsync(command[0], command[1..], cancellationToken, environment);
            if (result.ExitCode != 0) throw new UserInputException($"{string.Join(' ', step)} failed ({result.ExitCode}): {Tail(result.Output)}");
        }
        return FindBinaries() ?? throw new UserInputException("apt-get installed postgresql but no initdb was found under /usr/lib/postgresql");
    }

    private async Task InitializeAsync(TextWriter log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(DataDirectory);
        if (File.Exists(Path.Combine(DataDirectory, "PG_VERSION"))) return;
        if (Directory.EnumerateFileSystemEntries(DataDirectory).Any())
        {
            throw new UserInputException($"{DataDirectory} is not empty and holds no PostgreSQL cluster; empty it or pick another folder");
        }
        if (IsRoot)
        {
            // The postgres user must own the folder and be able to reach it.
            var chown = await ProcessRunner.RunAsync("chown", [$"{SuperUser}:{SuperUser}", DataDirectory], cancellationToken);
            if (chown.ExitCode != 0) throw new UserInputException($"chown {DataDirectory} failed: {chown.Output}");
            var reach = await ProcessRunner.RunAsync("runuser", ["-u", SuperUser, "--", "test", "-w", DataDirectory], cancellationToken);
            if (reach.ExitCode != 0)
            {
                throw new UserInputException($"the postgres user cannot reach {DataDirectory} (a parent folder is private); pick a folder " +
                                             "outside /root with --pg-data");
            }
        }
        log.WriteLine($"initialising a private PostgreSQL cluster in {DataDirectory}");
        await RunAsync(cancellationToken, "initdb", "-D", DataDirectory, "-U", SuperUser, "--auth=trust", "-E", "UTF8", "--no-instructions");
    }

    private async Task<bool> IsOursAndRunningAsync(CancellationToken cancellationToken)
    {
        var pidFile = Path.Combine(DataDirectory, "postmaster.pid");
        if (!File.Exists(pidFile)) return false;
        if ((await TryRunAsync(cancellationToken, "pg_ctl", "-D", DataDirectory, "status")).ExitCode != 0) return false;
        // postmaster.pid's fourth line is the port.
        var lines = await File.ReadAllLinesAsync(pidFile, cancellationToken);
        return lines.Length > 3 && int.TryParse(lines[3].Trim(), out var port) && port == Port;
    }

    private async Task EnsureDatabaseAsync(CancellationToken cancellationToken)
    {
        var admin = new NpgsqlConnectionStringBuilder(ConnectionString) { Database = "postgres", Pooling = false }.ConnectionString;
        await using var connection = new NpgsqlConnection(admin);
        await connection.OpenAsync(cancellationToken);
        await using var exists = new NpgsqlCommand("SELECT 1 FROM pg_database WHERE datname = $1", connection) { Parameters = { new() { Value = Database } } };
        if (await exists.ExecuteScalarAsync(cancellationToken) is null)
        {
            await using var create = new NpgsqlCommand($"CREATE DATABASE {Database}", connection);
            await create.ExecuteNonQueryAsync(cancellationToken);
        }
    }

    /// <summary>Runs one of the server's tools (as the postgres user when we are root).</summary>
    private Task<ProcessRunner.Result> TryRunAsync(CancellationToken cancellationToken, string tool, params string[] arguments)
    {
        string[] command = [.. _runAs, Path.Combine(_bin, tool), .. arguments];
        return ProcessRunner.RunAsync(command[0], command[1..], cancellationToken);
    }

    private async Task RunAsync(CancellationToken cancellationToken, string tool, params string[] arguments)
    {
        var result = await TryRunAsync(cancellationToken, tool, arguments);
        if (result.ExitCode != 0)
        {
            var serverLog = Path.Combine(DataDirectory, "server.log");
            var extra = tool == "pg_ctl" && File.Exists(serverLog) ? $"; server log: {Tail(await File.ReadAllTextAsync(serverLog, CancellationToken.None))}" : "";
            throw new UserInputException($"{tool} failed ({result.ExitCode}): {Tail(result.Output)}{extra}");
        }
    }

    private static bool IsListening(int port)
    {
        try
        {
            using var client = new TcpClient();
            return client.ConnectAsync("127.0.0.1", port).Wait(TimeSpan.FromMilliseconds(500)) && client.Connected;
        }
        catch (AggregateException)
        {
            return false;
        }
    }

    private static string Tail(string text) => text.Length <= 600 ? text : "..." + text[^600..];

    /// <summary>Stops the server if this instance started it; a server it adopted keeps running.</summary>
    public async ValueTask DisposeAsync()
    {
        if (!_started) return;
        _started = false;
        NpgsqlConnection.ClearAllPools();
        await RunAsync(CancellationToken.None, "pg_ctl", "-D", DataDirectory, "-m", "fast", "-w", "stop");
    }
}
