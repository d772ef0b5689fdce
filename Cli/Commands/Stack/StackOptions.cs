using System.CommandLine;

namespace ElectraLab.Cli.Commands.Stack;

/// <summary>Where the embedded default keeps its state and which ports it takes; shared by `up` and `demo`.</summary>
public sealed record StackSettings(string DataRoot, string PgData, int PgPort, int HttpPort, bool MayInstall, string? SharedDirectory,
    int CpuSlots, int ThreadsPerSlot)
{
    /// <summary>Print a line per submission, job start, finish and failure (`up`; the demo's console belongs to its progress bars).</summary>
    public bool ShowActivity { get; init; }
}

/// <summary>The command-line options of the embedded default.</summary>
public sealed class StackOptions
{
    public Option<DirectoryInfo> DataRoot { get; } = new("--data-root")
    {
        Description = "ElectraLab's folder: PostgreSQL data, job work folders, the demo corpus, credentials " +
                      "(default $XDG_DATA_HOME/electralab, else ~/.local/share/electralab).",
    };

    public Option<DirectoryInfo> PgData { get; } = new("--pg-data")
    {
        Description = "The private PostgreSQL's data folder (default <data-root>/postgres; as root /var/lib/electralab/postgres, " +
                      "because the server runs as the postgres user, who cannot enter /root).",
    };

    public Option<int> PgPort { get; } = new("--pg-port") { Description = "PostgreSQL's loopback port (default 55433).", DefaultValueFactory = _ => 55433 };

    public Option<bool> NoInstall { get; } = new("--no-install") { Description = "Never install PostgreSQL; fail if it is missing." };

    public Option<DirectoryInfo> Shared { get; } = new("--shared")
    {
        Description = "The shared data folder holding data/glue and data/corpus (default: the nearest ../shared above the current folder).",
    };

    public Option<int> Slots { get; } = new("--slots") { Description = "CPU job slots (default: 2 on machines with 2+ cores, else 1)." };

    public void AddTo(Command command)
    {
        foreach (var option in new Option[] { DataRoot, PgData, PgPort, NoInstall, Shared, Slots }) command.Options.Add(option);
    }

    public StackSettings Read(ParseResult parse, int httpPort)
    {
        var root = parse.GetValue(DataRoot)?.FullName ?? DefaultDataRoot();
        var pgPort = parse.GetValue(PgPort);
        if (pgPort is < 1 or > 65535) throw new UserInputException("--pg-port must be between 1 and 65535");
        var slots = parse.GetValue(Slots) is > 0 and var s ? s : Math.Clamp(Environment.ProcessorCount, 1, 2);
        return new StackSettings(root, parse.GetValue(PgData)?.FullName ?? LocalPostgres.DefaultDataDirectory(root), pgPort, httpPort,
            !parse.GetValue(NoInstall), parse.GetValue(Shared)?.FullName ?? FindShared(), slots,
            Math.Max(1, Environment.ProcessorCount / slots));
    }

    public static string DefaultDataRoot()
    {
        var xdg = Environment.GetEnvironmentVariable("XDG_DATA_HOME");
        return Path.Combine(string.IsNullOrWhiteSpace(xdg)
            ? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".local", "share")
            : xdg, "electralab");
    }

    /// <summary>The nearest folder named shared (with data/) beside the current folder or one of its parents.</summary>
    public static string? FindShared()
    {
        var env = Environment.GetEnvironmentVariable("ELECTRALAB_SHARED");
        if (!string.IsNullOrWhiteSpace(env)) return env;
        foreach (var start in new[] { Environment.CurrentDirectory, AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "..", "shared");
                if (Directory.Exists(Path.Combine(candidate, "data"))) return Path.GetFullPath(candidate);
            }
        }
        return null;
    }
}
