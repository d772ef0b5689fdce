using System.Net;
using System.Net.Sockets;
using ElectraLab.Contracts;
using ElectraLab.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Logging;

namespace ElectraLab.Cli.Commands.Stack;

/// <summary>
/// The embedded default in this process: the private PostgreSQL, one silo with the API co-hosted (localhost clustering,
/// the machine's CPU slots, CUDA slots when libtorch sees a GPU), and a team "local" with a user and key for whoever
/// runs it. Disposing stops the web host, the silo and the PostgreSQL it started, in that order.
/// </summary>
public sealed class EmbeddedStack : IAsyncDisposable
{
    public const string Team = "local";

    private readonly FileStream _lock;
    private readonly LocalPostgres _postgres;
    private readonly WebApplication _app;

    private EmbeddedStack(FileStream @lock, LocalPostgres postgres, WebApplication app, Uri server, string apiKey, string credentialsFile)
    {
        _lock = @lock;
        _postgres = postgres;
        _app = app;
        Server = server;
        ApiKey = apiKey;
        CredentialsFile = credentialsFile;
    }

    public Uri Server { get; }

    public string ApiKey { get; }

    /// <summary>The file holding the stack's admin and user keys.</summary>
    public string CredentialsFile { get; }

    public static async Task<EmbeddedStack> StartAsync(StackSettings settings, TextWriter log, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(settings.DataRoot);
        var stackLock = Lock(settings.DataRoot);
        if (settings.HttpPort != 0 && !IsFree(settings.HttpPort))
        {
            await stackLock.DisposeAsync();
            throw new UserInputException($"port {settings.HttpPort} is taken by another program; choose another with --port");
        }
        LocalPostgres postgres;
        try
        {
            postgres = await LocalPostgres.StartAsync(settings.PgData, settings.PgPort, settings.MayInstall, log, cancellationToken);
        }
        catch
        {
            await stackLock.DisposeAsync();
            throw;
        }
        WebApplication? app = null;
        try
        {
            var credentials = StackCredentials.Load(settings.DataRoot);
            var httpPort = settings.HttpPort == 0 ? FreePort() : settings.HttpPort;
            var server = new Uri($"http://127.0.0.1:{httpPort}/");
            app = Build(settings, postgres, credentials.AdminKey, server);
            await app.StartAsync(cancellationToken);
            log.WriteLine($"silo and API up at {server} ({settings.CpuSlots} CPU slot{(settings.CpuSlots == 1 ? "" : "s")} × " +
                          $"{settings.ThreadsPerSlot} thread{(settings.ThreadsPerSlot == 1 ? "" : "s")})");
            var key = await credentials.EnsureUserKeyAsync(server, cancellationToken);
            return new EmbeddedStack(stackLock, postgres, app, server, key, credentials.FilePath);
        }
        catch
        {
            if (app is not null) await app.DisposeAsync();
            await postgres.DisposeAsync();
            await stackLock.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// One stack per data root: a second one would run a second cluster on the same database and grain state. The lock
    /// is an exclusive open of &lt;data-root&gt;/stack.lock (flock on Linux), released by the OS if this process dies.
    /// </summary>
    private static FileStream Lock(string dataRoot)
    {
        var path = Path.Combine(dataRoot, "stack.lock");
        try
        {
            return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new UserInputException($"another `electralab up` or `demo` is running on {dataRoot}; stop it, or give this one " +
                                         "its own --data-root and --pg-port");
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            using var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static WebApplication Build(StackSettings settings, LocalPostgres postgres, string adminKey, Uri server)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [] });
        string? Shared(string path) => settings.SharedDirectory is null ? null : Path.Combine(settings.SharedDirectory, path);
        // Added last, so it wins over environment variables a developer's shell may carry for a real cluster.
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["ConnectionStrings:ElectraLab"] = postgres.ConnectionString,
            ["Urls"] = server.ToString().TrimEnd('/'),
            ["Orleans:ClusterId"] = "",
            ["Orleans:SiloPort"] = FreePort().ToString(),
            ["Orleans:GatewayPort"] = FreePort().ToString(),
            [ElectraLabHost.HostApiKey] = "true",
            ["ElectraLab:Api:AdminKey"] = adminKey,
            ["ElectraLab:Slots:Cpu"] = settings.CpuSlots.ToString(),
            ["ElectraLab:Slots:ThreadsPerSlot"] = settings.ThreadsPerSlot.ToString(),
            ["ElectraLab:Jobs:WorkDirectory"] = Path.Combine(settings.DataRoot, "work"),
            ["ElectraLab:Jobs:GlueDataDirectory"] = Shared(Path.Combine("data", "glue")),
            ["ElectraLab:Jobs:SquadDataDirectory"] = Shared(Path.Combine("data", "squad")),
            // The console belongs to the progress bars: only the host's warnings and errors (appsettings says Information).
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Error",
            ["Logging:LogLevel:Orleans"] = "Error",
            [$"Logging:LogLevel:{TelemetryNames.ActivityLogCategory}"] = settings.ShowActivity ? "Information" : "Warning",
        });
        // One line per entry, with the time: the activity lines of `up` read as a log.
        builder.Logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss ";
        });
        builder.Configuration["Orleans:PrimarySiloPort"] = builder.Configuration["Orleans:SiloPort"];
        return ElectraLabHost.Build(builder);
    }

    /// <summary>A loopback port nothing listens on now (the OS picks it).</summary>
    internal static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
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
            await _postgres.DisposeAsync();
            await _lock.DisposeAsync();
        }
    }
}
