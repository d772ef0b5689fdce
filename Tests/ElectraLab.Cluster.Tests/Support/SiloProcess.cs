using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace ElectraLab.Cluster.Tests.Support;

/// <summary>A real silo process (the Silo project's executable), configured through environment variables only.</summary>
public sealed class SiloProcess : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _log = new();

    private SiloProcess(Process process, int siloPort)
    {
        _process = process;
        SiloPort = siloPort;
    }

    public int SiloPort { get; }

    /// <summary>The silo's process id (its job workers are its children).</summary>
    public int Pid => _process.Id;

    /// <summary>Processes this silo started whose command line contains <paramref name="marker"/> (its job workers: "worker").</summary>
    public IReadOnlyList<int> Children(string marker)
    {
        var children = new List<int>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out var pid)) continue;
            try
            {
                // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after its closing parenthesis.
                var stat = File.ReadAllText(Path.Combine(dir, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                if (int.Parse(fields[1]) != Pid) continue;
                var commandLine = File.ReadAllText(Path.Combine(dir, "cmdline")).Replace('\0', ' ');
                if (commandLine.Contains(marker, StringComparison.Ordinal)) children.Add(pid);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException)
            {
                // The process ended while we looked.
            }
        }
        return children;
    }

    /// <summary>The prefix of this silo's key (its address in parsable form), e.g. "127.0.0.1:11111@".</summary>
    public string KeyPrefix => $"127.0.0.1:{SiloPort}@";

    public string Log
    {
        get
        {
            lock (_log) return _log.ToString();
        }
    }

    /// <param name="httpPort">The web server's port (the dashboard, and the API when co-hosted); 0: any free port.</param>
    public static SiloProcess Start(string name, IReadOnlyDictionary<string, string> settings, int httpPort = 0)
    {
        var siloPort = FreePort();
        var gatewayPort = FreePort();
        var dll = Path.Combine(AppContext.BaseDirectory, "ElectraLab.Silo.dll");
        var info = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = AppContext.BaseDirectory,
        };
        info.ArgumentList.Add(dll);
        info.ArgumentList.Add("--urls");
        info.ArgumentList.Add($"http://127.0.0.1:{httpPort}");
        foreach (var (key, value) in settings) info.Environment[key.Replace(":", "__", StringComparison.Ordinal)] = value;
        info.Environment["Orleans__SiloPort"] = siloPort.ToString();
        info.Environment["Orleans__GatewayPort"] = gatewayPort.ToString();
        info.Environment["DOTNET_ENVIRONMENT"] = "Production";
        var process = new Process { StartInfo = info };
        var silo = new SiloProcess(process, siloPort);
        process.OutputDataReceived += (_, e) => silo.Append(name, e.Data);
        process.ErrorDataReceived += (_, e) => silo.Append(name, e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return silo;
    }

    /// <summary>SIGKILL: no shutdown, no goodbye to the cluster, exactly like a machine dying.</summary>
    public void Kill()
    {
        _process.Kill(entireProcessTree: true);
        _process.WaitForExit();
    }

    public bool HasExited => _process.HasExited;

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _process.Dispose();
    }

    private void Append(string name, string? line)
    {
        if (line is null) return;
        lock (_log) _log.Append(name).Append(": ").AppendLine(line);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
