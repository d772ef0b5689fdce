// The pipe between a silo and a job's worker process: one JSON object per line. The silo writes to the worker's stdin
// (start, replies, cancel); the worker writes to its stdout, each line behind a marker, so a stray line that native
// code prints there is logged instead of misread. Everything else the worker prints goes to stderr, its log.
using System.Text.Json;
using System.Text.Json.Serialization;

namespace ElectraLab.Grains.Jobs.Workers;

public static class WorkerMessageTypes
{
    // silo → worker
    public const string Start = "start";
    public const string Ack = "ack";
    public const string RungDecision = "rung-decision";
    public const string Cancel = "cancel";

    // worker → silo
    public const string Progress = "progress";
    public const string Metrics = "metrics";
    public const string Checkpoint = "checkpoint";
    public const string Rung = "rung";
    public const string Milestone = "milestone";
    public const string Done = "done";
}

/// <summary>Everything a worker needs to run one job; the silo has fetched and downloaded the rest.</summary>
public sealed record WorkerStart(
    string Kind,
    string ConfigJson,
    string Device,
    int Threads,
    string WorkDirectory,
    string? ResumeFrom = null,
    int CheckpointInterval = 1000,
    long[]? Rungs = null,
    double[]? FlopMilestones = null,
    string? CheckpointFolder = null,
    string? Task = null,
    int[]? Seeds = null,
    string? GlueDataDirectory = null,
    string? SquadDataDirectory = null,
    string? FinetuneConfigJson = null,
    long? SegfaultAtStep = null,
    bool KeepAllSeeds = false);

public sealed record WorkerScore(int Seed, string Metric, double Value);

/// <summary>One line of the protocol; which fields are set depends on <see cref="Type"/>.</summary>
public sealed record WorkerMessage(string Type)
{
    public WorkerStart? Start { get; init; }
    public long Step { get; init; }
    /// <summary>Progress, once: the square-matmul rate measured in the worker on its device and dtype (GFLOP/s), the
    /// ceiling its achieved FLOP rate is reported against (MFU).</summary>
    public double MatmulGflops { get; init; }
    /// <summary>Progress: what the job is doing in words (a fine-tuning job's task, seed and phase).</summary>
    public string? Detail { get; init; }
    public double TrainFlops { get; init; }
    public Dictionary<string, double>? Metrics { get; init; }
    public string? Folder { get; init; }
    public string? Kind { get; init; }
    public bool Continue { get; init; }
    /// <summary>Done: succeeded, stopped or stopped-early; or failed with <see cref="Error"/>.</summary>
    public string? State { get; init; }
    public string? Error { get; init; }
    public bool Permanent { get; init; }
    public List<WorkerScore>? Scores { get; init; }
}

public static class WorkerProtocol
{
    /// <summary>Marks a protocol line on the worker's stdout.</summary>
    public const string Marker = "@@electralab-worker ";

    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.CamelCase,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingDefault,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public static string Encode(WorkerMessage message) => JsonSerializer.Serialize(message, Json);

    public static WorkerMessage Decode(string line) =>
        JsonSerializer.Deserialize<WorkerMessage>(line, Json) ?? throw new InvalidDataException("an empty worker message");

    /// <summary>The message in a worker's stdout line, or null when the line is not a protocol line.</summary>
    public static WorkerMessage? FromWorkerLine(string line) =>
        line.StartsWith(Marker, StringComparison.Ordinal) ? Decode(line[Marker.Length..]) : null;
}
