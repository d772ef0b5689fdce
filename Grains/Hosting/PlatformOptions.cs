namespace ElectraLab.Grains.Hosting;

/// <summary>Device slots, bound from <c>ElectraLab:Slots</c>.</summary>
public sealed class SlotOptions
{
    public const string Section = "ElectraLab:Slots";

    /// <summary>CPU slots when no CUDA device is visible (default 1).</summary>
    public int Cpu { get; set; } = 1;

    /// <summary>libtorch threads per CPU slot; 0 = the machine's cores divided by the slots.</summary>
    public int ThreadsPerSlot { get; set; }

    /// <summary>"auto" (one slot per CUDA device when TorchSharp sees CUDA), or "off" (CPU slots only).</summary>
    public string Cuda { get; set; } = "auto";
}

/// <summary>Job execution and failure detection, bound from <c>ElectraLab:Jobs</c>.</summary>
public sealed class JobOptions
{
    public const string Section = "ElectraLab:Jobs";

    /// <summary>How often a running job reports liveness and progress to its experiment.</summary>
    public TimeSpan HeartbeatInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>A running job silent for this long is presumed lost (its silo died) and is re-queued.</summary>
    public TimeSpan HeartbeatTimeout { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Where jobs get scratch space when <see cref="WorkDirectory"/> is not set.</summary>
    public static string DefaultWorkDirectory => Path.Combine(Path.GetTempPath(), "electralab-jobs");

    /// <summary>Local scratch space for checkpoint folders and spilled metrics; default: <see cref="DefaultWorkDirectory"/>.</summary>
    public string? WorkDirectory { get; set; }

    /// <summary>GLUE data (one folder per task, TSV files) for finetune-eval jobs.</summary>
    public string? GlueDataDirectory { get; set; }

    /// <summary>SQuAD data (train/dev JSON) for finetune-eval jobs.</summary>
    public string? SquadDataDirectory { get; set; }

    /// <summary>
    /// The command that starts a job's worker process; default: <c>dotnet ElectraLab.Silo.dll worker</c> from the host's
    /// own folder (<see cref="Jobs.Workers.WorkerCommand.Resolve"/>).
    /// </summary>
    public string? WorkerCommand { get; set; }

    /// <summary>A worker that reports nothing for this long (no step, no message) is presumed hung, killed, and the attempt fails.</summary>
    public TimeSpan WorkerHangTimeout { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>
    /// A drill: the first pre-training worker this silo starts crashes with a real SIGSEGV in native code at this step
    /// (Workers/NativeFault.cs). Unset in production; tests use it to prove a crashing worker costs one attempt only.
    /// </summary>
    public long? InjectSegfaultAtStep { get; set; }

    /// <summary>How long a cancelled worker may take to stop between steps before it is killed.</summary>
    public TimeSpan WorkerStopGrace { get; set; } = TimeSpan.FromSeconds(30);
}

/// <summary>The scheduler, bound from <c>ElectraLab:Scheduler</c>.</summary>
public sealed class SchedulerOptions
{
    public const string Section = "ElectraLab:Scheduler";

    /// <summary>How often each silo's worker reports its slots to the scheduler (its lease renewal).</summary>
    public TimeSpan WorkerReportInterval { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>A worker not heard from for this long is dropped with its slots; its dispatches are reported lost.</summary>
    public TimeSpan WorkerLeaseTimeout { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>The longest the scheduler's queue may be ahead of its persisted copy (writes are coalesced).</summary>
    public TimeSpan PersistInterval { get; set; } = TimeSpan.FromMilliseconds(500);
}
