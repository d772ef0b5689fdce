using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Logging;

namespace ElectraLab.Grains.Jobs.Workers;

/// <summary>
/// The silo's end of one worker process: starts it, writes to its stdin, and turns its stdout into protocol messages
/// (other stdout lines and all of stderr go to the silo's log and the attempt's, and the last lines are kept for a
/// failure reason).
/// </summary>
internal sealed class WorkerProcess : IDisposable
{
    private const int TailLines = 12;
    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly string _name;
    private readonly Action<string, string>? _onLine;
    private readonly BlockingCollection<WorkerMessage> _messages = new();
    private readonly Queue<string> _tail = new();
    private readonly Thread _stdout;
    private readonly Thread _stderr;
    private DateTime _lastHeard = DateTime.UtcNow;

    private WorkerProcess(Process process, ILogger logger, string name, Action<string, string>? onLine)
    {
        _process = process;
        _onLine = onLine;
        _logger = logger;
        _name = name;
        _stdout = new Thread(ReadMessages) { IsBackground = true, Name = $"{name}-stdout" };
        _stderr = new Thread(ReadLog) { IsBackground = true, Name = $"{name}-stderr" };
        _stdout.Start();
        _stderr.Start();
    }

    public int Id => _process.Id;

    /// <summary>How long since the worker last sent a message (or started).</summary>
    public TimeSpan IdleFor => DateTime.UtcNow - _lastHeard;

    /// <param name="onLine">Receives each log line (source "stdout" or "stderr", the line); must not block.</param>
    public static WorkerProcess Start(WorkerCommand command, int threads, ILogger logger, string name, Action<string, string>? onLine = null)
    {
        var info = new ProcessStartInfo(command.FileName)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Arguments) info.ArgumentList.Add(argument);
        // The slot's thread budget, for every pool in the process (libtorch's own and the BLAS it calls).
        var threadCount = threads.ToString(CultureInfo.InvariantCulture);
        info.Environment["OMP_NUM_THREADS"] = threadCount;
        info.Environment["MKL_NUM_THREADS"] = threadCount;
        info.Environment["DOTNET_gcServer"] = "0";
        var process = Process.Start(info) ?? throw new InvalidOperationException($"could not start the worker {command}");
        return new WorkerProcess(process, logger, name, onLine);
    }

    public void Send(WorkerMessage message)
    {
        try
        {
            _process.StandardInput.WriteLine(WorkerProtocol.Encode(message));
            _process.StandardInput.Flush();
        }
        catch (Exception e) when (e is IOException or InvalidOperationException or ObjectDisposedException)
        {
            // It exited: its end of the story arrives through Receive.
        }
    }

    /// <summary>
    /// The next message; null once the worker has exited and every message it sent was read. Throws
    /// <see cref="TimeoutException"/> when the worker sends nothing for <paramref name="timeout"/>.
    /// </summary>
    public WorkerMessage? Receive(TimeSpan timeout)
    {
        if (_messages.TryTake(out var message, timeout))
        {
            _lastHeard = DateTime.UtcNow;
            return message;
        }
        if (_messages.IsCompleted) return null;
        throw new TimeoutException($"the worker sent nothing for {timeout.TotalSeconds:0} s");
    }

    /// <summary>How the process ended, in words: "exit code 1", "killed by signal 11 (SIGSEGV)".</summary>
    public string ExitDescription
    {
        get
        {
            if (!_process.WaitForExit(TimeSpan.FromSeconds(10))) return "still running";
            var code = _process.ExitCode;
            // .NET reports a process ended by signal N as exit code 128 + N.
            return code is > 128 and < 160 ? $"killed by signal {code - 128} ({SignalName(code - 128)})" : $"exit code {code}";
        }
    }

    /// <summary>The last lines the worker wrote to its log, joined with " | ".</summary>
    public string LogTail
    {
        get
        {
            _stderr.Join(TimeSpan.FromSeconds(2));
            lock (_tail) return string.Join(" | ", _tail);
        }
    }

    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited) Kill();
        _stdout.Join(TimeSpan.FromSeconds(5));
        _process.Dispose();
        _messages.Dispose();
    }

    private void ReadMessages()
    {
        try
        {
            while (_process.StandardOutput.ReadLine() is { } line)
            {
                WorkerMessage? message;
                try
                {
                    message = WorkerProtocol.FromWorkerLine(line);
                }
                catch (Exception e) when (e is System.Text.Json.JsonException or InvalidDataException)
                {
                    _logger.LogWarning("{Worker}: unreadable protocol line ({Error})", _name, e.Message);
                    continue;
                }
                if (message is null) Remember("stdout", line);
                else _messages.Add(message);
            }
        }
        catch (IOException)
        {
            // The pipe broke with the process.
        }
        _process.WaitForExit();
        _messages.CompleteAdding();
    }

    private void ReadLog()
    {
        try
        {
            while (_process.StandardError.ReadLine() is { } line) Remember("stderr", line);
        }
        catch (IOException)
        {
            // The pipe broke with the process.
        }
    }

    private void Remember(string source, string line)
    {
        if (line.Length == 0) return;
        _onLine?.Invoke(source, line);
        _logger.LogInformation("{Worker}: {Line}", _name, line);
        lock (_tail)
        {
            _tail.Enqueue(line.Length > 300 ? line[..300] + "…" : line);
            while (_tail.Count > TailLines) _tail.Dequeue();
        }
    }

    private static string SignalName(int signal) => signal switch
    {
        4 => "SIGILL",
        6 => "SIGABRT",
        7 => "SIGBUS",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        15 => "SIGTERM",
        _ => "signal",
    };
}

/// <summary>The command that starts a worker: an executable and its arguments (the last being "worker").</summary>
public sealed record WorkerCommand(string FileName, IReadOnlyList<string> Arguments)
{
    public override string ToString() => string.Join(' ', Arguments.Prepend(FileName));

    /// <summary>
    /// The configured command (ElectraLab:Jobs:WorkerCommand, split on spaces), else the silo executable that ships next
    /// to this assembly (<c>ElectraLab.Silo.dll worker</c>, run by the dotnet host that runs this process). Every host
    /// that runs jobs (the silo, the `electralab` command, the test runners) has that file in its folder.
    /// </summary>
    public static WorkerCommand Resolve(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
        {
            var parts = configured.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            return new WorkerCommand(parts[0], parts[1..]);
        }
        var silo = Path.Combine(AppContext.BaseDirectory, "ElectraLab.Silo.dll");
        if (!File.Exists(silo))
        {
            throw new InvalidOperationException($"No job worker: {silo} is missing; set ElectraLab:Jobs:WorkerCommand to a command that runs `ElectraLab.Silo worker`.");
        }
        var host = Environment.ProcessPath is { } path && Path.GetFileNameWithoutExtension(path) == "dotnet" ? path : "dotnet";
        return new WorkerCommand(host, [silo, JobWorker.Command]);
    }
}
