// Where jobs run: each job attempt in a worker process of its own, supervised by the silo.
//
// Decision (docs/architecture.md "Where a job runs"): the silo keeps the control plane (slots, heartbeats, the database,
// grain calls) and a worker process per attempt runs the training (`ElectraLab.Silo worker`, Workers/JobWorker.cs). Why:
//  - A native crash in libtorch (a segfault while writing a checkpoint was seen under load) ends one worker and one
//    attempt, not the silo with every other job on it and, in the embedded default, the API. The attempt is retried
//    and resumes from its last checkpoint.
//  - A slot's thread budget (set_num_threads, OMP/MKL pools) and its device memory belong to one process, so CPU slots
//    no longer share one intra-op pool and a finished job returns all its memory.
//  - The worker touches no database: metrics, checkpoints and results go through the silo (one COPY pipeline per silo,
//    and its outage handling in one place); the worker waits for each checkpoint's upload before it trains on.
// What it costs: starting a worker and loading libtorch (1-2 s per attempt), and a pipe protocol (Workers/WorkerProtocol.cs).
// Noop jobs (platform measurements, no training code) still run on the slot's thread.
//
// Grains never wait on training: a worker grain hands an assignment to TryStart, which only queues it. Everything
// slow happens on the slot's thread; blocking waits on grain calls happen there too, never on the Orleans scheduler.
using System.Diagnostics;
using System.Threading.Channels;
using ElectraLab.Contracts;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Grains.Hosting;
using ElectraLab.Grains.Jobs.Workers;
using ElectraLab.Grains.Telemetry;
using ElectraLab.Storage.Checkpoints;
using ElectraLab.Storage.Logs;
using ElectraLab.Storage.Metrics;
using ElectraLab.Storage.Results;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace ElectraLab.Grains.Jobs;

/// <summary>
/// The silo's job runner: owns the silo's device slots, runs each assigned job on its slot's thread, reports liveness,
/// progress and the outcome to the job's experiment, and keeps the worker's lease with the scheduler. Starts when the
/// silo becomes active and stops (cancelling running jobs) before the silo leaves the cluster.
/// </summary>
public sealed class JobRunner : ILifecycleParticipant<ISiloLifecycle>
{
    public const string MilestoneKind = "milestone";

    private readonly DeviceSlots _slots;
    private readonly IGrainFactory _grains;
    private readonly ILocalSiloDetails _silo;
    private readonly CheckpointStore _checkpoints;
    private readonly JobOptions _options;
    private readonly SchedulerOptions _schedulerOptions;
    private readonly ILogger<JobRunner> _logger;
    private readonly ILogger _activity;
    private readonly JobLogWriter? _jobLogs;
    private readonly SlotRunner[] _runners;
    private readonly PretrainJobHandler _pretrain;
    private readonly FinetuneEvalJobHandler _finetuneEval;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _reporting;
    private IDisposable? _observed;

    public JobRunner(DeviceSlots slots, IGrainFactory grains, ILocalSiloDetails silo, MetricWriter metrics,
        CheckpointStore checkpoints, EvaluationResultStore results, Storage.Datasets.DatasetStore datasets,
        IOptions<JobOptions> options, IOptions<SchedulerOptions> schedulerOptions, ILogger<JobRunner> logger,
        ILoggerFactory? loggerFactory = null, JobLogWriter? jobLogs = null)
    {
        _activity = (ILogger?)loggerFactory?.CreateLogger(TelemetryNames.ActivityLogCategory) ?? logger;
        _jobLogs = jobLogs;
        _slots = slots;
        _grains = grains;
        _silo = silo;
        _checkpoints = checkpoints;
        _options = options.Value;
        _schedulerOptions = schedulerOptions.Value;
        _logger = logger;
        _runners = slots.Slots.Select(s => new SlotRunner(s)).ToArray();
        var services = new JobServices(grains, metrics, checkpoints, results, datasets, _options, WorkerCommand.Resolve(_options.WorkerCommand), logger);
        _pretrain = new PretrainJobHandler(services);
        _finetuneEval = new FinetuneEvalJobHandler(services);
    }

    /// <summary>This silo's key: its worker grain's key and the name its slots carry in the cluster.</summary>
    public string SiloKey => _silo.SiloAddress.ToParsableString();

    public void Participate(ISiloLifecycle lifecycle) =>
        lifecycle.Subscribe(nameof(JobRunner), ServiceLifecycleStage.Active, StartAsync, StopAsync);

    private Task StartAsync(CancellationToken cancellationToken)
    {
        foreach (var runner in _runners)
        {
            runner.Thread = new Thread(() => SlotLoop(runner))
            {
                IsBackground = true,
                Name = $"electralab-slot-{runner.Slot.Index}",
            };
            runner.Thread.Start();
        }
        _reporting = Task.Run(ReportLoopAsync, CancellationToken.None);
        _observed = PlatformTelemetry.Observe(ObserveSlots, ObserveJobs);
        return Task.CompletedTask;
    }

    private async Task StopAsync(CancellationToken cancellationToken)
    {
        _stopping.Cancel();
        foreach (var runner in _runners)
        {
            runner.Queue.Writer.TryComplete();
            runner.Current?.Cancel("the silo is shutting down");
        }
        foreach (var runner in _runners)
        {
            // Jobs stop between steps; wait for them (bounded by the silo's shutdown timeout) so their outcome is reported.
            await Task.Run(() => runner.Thread?.Join(TimeSpan.FromSeconds(30)), CancellationToken.None);
        }
        if (_reporting is not null) await _reporting;
        _observed?.Dispose();
    }

    private IEnumerable<PlatformTelemetry.SlotState> ObserveSlots() =>
        _runners.Select(r => new PlatformTelemetry.SlotState(SiloKey, r.Slot.Device, r.Current is not null || r.Pending is not null));

    private IEnumerable<PlatformTelemetry.JobGauge> ObserveJobs() =>
        _runners.Select(r => (r.Slot, Job: r.Current)).Where(r => r.Job?.Kind is not null).Select(r => new PlatformTelemetry.JobGauge(
            r.Job!.Assignment.Job.ExperimentId, r.Job.Assignment.Job.JobId, r.Job.Kind!, SiloKey, r.Slot.Device, r.Job.Step,
            r.Job.TrainFlops, r.Job.TokensPerSecond, r.Job.Loss.Mlm, r.Job.Loss.Disc, r.Job.Mfu));

    /// <summary>Queues a job on its slot. False when the slot already has a job waiting (one may still be finishing).</summary>
    public bool TryStart(JobAssignment assignment)
    {
        if (assignment.Slot < 0 || assignment.Slot >= _runners.Length || _stopping.IsCancellationRequested) return false;
        var runner = _runners[assignment.Slot];
        lock (runner)
        {
            if (runner.Pending is not null) return false;
            runner.Pending = assignment;
        }
        if (runner.Queue.Writer.TryWrite(assignment)) return true;
        lock (runner) runner.Pending = null;
        return false;
    }

    public bool Cancel(Guid dispatchId, string reason)
    {
        foreach (var runner in _runners)
        {
            if (runner.Current is { } job && job.Assignment.DispatchId == dispatchId)
            {
                job.Cancel(reason);
                return true;
            }
        }
        return false;
    }

    public SlotInfo[] SlotInfos() => _runners.Select(r =>
    {
        var current = r.Current?.Assignment ?? r.Pending;
        return new SlotInfo(SiloKey, r.Slot.Index, r.Slot.Device, r.Slot.Threads, current?.Job.JobId, current?.DispatchId);
    }).ToArray();

    private async Task ReportLoopAsync()
    {
        var scheduler = _grains.GetGrain<ISchedulerGrain>(ISchedulerGrain.DefaultKey);
        while (!_stopping.IsCancellationRequested)
        {
            try
            {
                await scheduler.ReportWorkerAsync(new WorkerReport(SiloKey, SlotInfos(), DateTimeOffset.UtcNow));
            }
            catch (Exception e) when (!_stopping.IsCancellationRequested)
            {
                _logger.LogWarning(e, "Could not report this silo's slots to the scheduler; retrying");
            }
            try
            {
                await Task.Delay(_schedulerOptions.WorkerReportInterval, _stopping.Token);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private void SlotLoop(SlotRunner runner)
    {
        var reader = runner.Queue.Reader;
        while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
        {
            if (!reader.TryRead(out var assignment)) continue;
            var job = new RunningJob(assignment, _stopping.Token, new JobAttemptLog(_jobLogs, assignment));
            lock (runner)
            {
                runner.Current = job;
                runner.Pending = null;
            }
            try
            {
                Run(runner.Slot, job);
            }
            catch (Exception e)
            {
                // Its experiment could not be reached: the scheduler sees the slot idle in this worker's next reports
                // and tells the experiment the dispatch was lost.
                _logger.LogError(e, "Job {JobId} could not be run or reported", assignment.Job.JobId);
            }
            finally
            {
                lock (runner) runner.Current = null;
                job.Dispose();
            }
        }
    }

    private void Run(DeviceSlot slot, RunningJob job)
    {
        var a = job.Assignment;
        var experiment = _grains.GetGrain<IExperimentGrain>(a.Job.ExperimentId);
        var payload = Durable(() => experiment.GetJobPayloadAsync(a.Job.JobId), "reading the job", job.Token);
        job.Kind = KindName(payload.Kind);
        // The attempt's span joins the trace of the sweep's submission (the experiment keeps its context), so one trace
        // runs from POST /api/sweeps to every job attempt, its checkpoint writes and its evaluations, however much later.
        ActivityContext.TryParse(payload.TraceParent, null, isRemote: true, out var submission);
        using var span = PlatformTelemetry.Source.StartActivity($"job {job.Kind}", ActivityKind.Internal, submission);
        span?.SetTag("electralab.experiment", payload.ExperimentId.ToString());
        span?.SetTag("electralab.job", a.Job.JobId.ToString());
        span?.SetTag("electralab.dispatch", a.DispatchId.ToString());
        span?.SetTag("electralab.job.kind", job.Kind);
        if (payload.Task is not null) span?.SetTag("electralab.task", payload.Task);
        if (payload.CheckpointStep is { } evaluated) span?.SetTag("electralab.checkpoint.step", evaluated);
        span?.SetTag("electralab.silo", SiloKey);
        span?.SetTag("electralab.device", slot.Device);
        var latest = payload.Kind == JobKind.Pretrain
            ? Durable(() => _checkpoints.GetLatestAsync(payload.ExperimentId), "finding the latest checkpoint", job.Token)
            : null;
        var started = new JobStarted(a.Job.JobId, a.DispatchId, SiloKey, slot.Index, slot.Device, latest?.Step);
        if (!Durable(() => experiment.JobStartedAsync(started), "reporting the start", job.Token))
        {
            // A stale dispatch (the job was re-queued or the experiment ended): do nothing, but free the slot.
            ReportOutcome(experiment, new JobOutcome(a.Job.JobId, a.DispatchId, JobState.Cancelled, 0, 0, "stale dispatch"));
            return;
        }
        _activity.LogInformation("Job {JobId} ({Kind}{Task}) of experiment {ExperimentId} started on slot {Slot} ({Device}){Resume}",
            a.Job.JobId, job.Kind, payload.Task is null ? "" : $" {payload.Task}", payload.ExperimentId, slot.Index, slot.Device,
            latest is null ? "" : $", resuming from step {latest.Step}");
        job.Log.Info($"attempt {a.DispatchId} of {job.Kind}{(payload.Task is null ? "" : $" {payload.Task}")} job {a.Job.JobId} " +
                     $"on silo {SiloKey}, slot {slot.Index} ({slot.Device}, {slot.Threads} thread{(slot.Threads == 1 ? "" : "s")}), " +
                     (latest is null ? "from scratch" : $"resuming from the checkpoint at step {latest.Step}"));
        job.Log.Info($"config resolved: {OneLine(payload.ConfigJson)}");

        var work = Path.Combine(_options.WorkDirectory ?? JobOptions.DefaultWorkDirectory, $"{a.Job.JobId:N}-{a.DispatchId:N}");
        Directory.CreateDirectory(work);
        using var beats = new CancellationTokenSource();
        Task heartbeat;
        // Heartbeats are not part of the attempt's trace (one span every few seconds would bury it).
        using (ExecutionContext.SuppressFlow())
        {
            heartbeat = Task.Run(() => HeartbeatLoopAsync(experiment, job, beats.Token), CancellationToken.None);
        }
        JobOutcome outcome;
        try
        {
            var context = new JobContext(slot, job, payload, work);
            outcome = payload.Kind switch
            {
                JobKind.Pretrain => _pretrain.Run(context, latest),
                JobKind.FinetuneEval => _finetuneEval.Run(context),
                _ => Noop(job, payload),
            };
        }
        catch (Exception e) when (job.Token.IsCancellationRequested && e is OperationCanceledException)
        {
            outcome = job.Stopped(0, 0);
        }
        catch (Exception e) when (JobFailures.IsCausedByInput(e))
        {
            // Its input is wrong: every attempt would fail the same way, so the experiment fails now, with one line.
            var reason = JobFailures.Reason(e);
            _logger.LogWarning("Job {JobId} cannot run: {Reason}", a.Job.JobId, reason);
            job.Log.Info($"error: {reason} (the input is wrong: not retried)");
            outcome = new JobOutcome(a.Job.JobId, a.DispatchId, JobState.Failed, job.Step, job.TrainFlops, reason, Permanent: true);
        }
        catch (WorkerFailedException e)
        {
            _logger.LogWarning("Job {JobId}: attempt failed: {Reason}", a.Job.JobId, e.Message);
            job.Log.Info($"error: {e.Message}");
            outcome = new JobOutcome(a.Job.JobId, a.DispatchId, JobState.Failed, job.Step, job.TrainFlops, e.Message);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Job {JobId} failed", a.Job.JobId);
            job.Log.Info($"error: {e.GetType().Name}: {e.Message}");
            outcome = new JobOutcome(a.Job.JobId, a.DispatchId, JobState.Failed, job.Step, job.TrainFlops, JobFailures.Reason(e));
        }
        finally
        {
            beats.Cancel();
            heartbeat.GetAwaiter().GetResult();
            try
            {
                Directory.Delete(work, recursive: true);
            }
            catch (IOException)
            {
                // Scratch space only; the next start of this job uses a fresh folder.
            }
        }
        LogOutcome(job, payload, outcome);
        span?.SetTag("electralab.outcome", outcome.State.ToStorageName());
        span?.SetTag("electralab.step", outcome.Step);
        if (outcome.State == JobState.Failed) span?.SetStatus(ActivityStatusCode.Error, outcome.Error);
        ReportOutcome(experiment, outcome);
    }

    /// <summary>The resolved config as one log line (it is stored indented).</summary>
    private static string OneLine(string json)
    {
        try
        {
            return System.Text.Json.Nodes.JsonNode.Parse(json)?.ToJsonString() ?? "null";
        }
        catch (System.Text.Json.JsonException)
        {
            return json.ReplaceLineEndings(" ");
        }
    }

    private void LogOutcome(RunningJob job, JobPayload payload, JobOutcome outcome)
    {
        var what = outcome.State switch
        {
            JobState.Succeeded => "succeeded",
            JobState.Cancelled => $"cancelled ({outcome.Error})",
            // Whether another attempt follows is the experiment's decision (max_attempts), made after this line.
            _ => $"failed{(outcome.Permanent ? " for good (its input)" : "")}: {outcome.Error}",
        };
        job.Log.Info($"finished: {what} at step {outcome.Step}, {outcome.TrainFlops:G4} train FLOPs");
        PlatformTelemetry.JobOutcomes.Add(1, new KeyValuePair<string, object?>("kind", job.Kind),
            new KeyValuePair<string, object?>("state", outcome.State.ToStorageName()), new KeyValuePair<string, object?>("reason", ReasonClass(outcome)));
        var level = outcome.State == JobState.Failed ? LogLevel.Warning : LogLevel.Information;
        _activity.Log(level, "Job {JobId} ({Kind}) of experiment {ExperimentId} {Outcome} at step {Step}",
            outcome.JobId, job.Kind, payload.ExperimentId, what, outcome.Step);
    }

    private static string KindName(JobKind kind) => kind switch
    {
        JobKind.Pretrain => "pretrain",
        JobKind.FinetuneEval => "finetune-eval",
        _ => "noop",
    };

    /// <summary>Why an attempt ended, in a few words a metric label can carry (the full reason is in the job's log).</summary>
    private static string ReasonClass(JobOutcome outcome) => outcome.State switch
    {
        JobState.Failed when outcome.Permanent => "input",
        JobState.Failed when outcome.Error?.StartsWith("the worker", StringComparison.Ordinal) == true => "worker",
        JobState.Failed => "error",
        JobState.Cancelled => "cancelled",
        _ => "none",
    };

    private void ReportOutcome(IExperimentGrain experiment, JobOutcome outcome)
    {
        for (var attempt = 1; ; attempt++)
        {
            try
            {
                OutageRetry.Run(() => experiment.JobFinishedAsync(outcome), $"Job {outcome.JobId}: reporting its outcome", _logger, _stopping.Token);
                return;
            }
            catch (Exception e) when (attempt < 5 && !_stopping.IsCancellationRequested)
            {
                // The experiment's silo may be failing over; the call is idempotent, so retry it.
                _logger.LogWarning(e, "Reporting job {JobId} failed; retrying", outcome.JobId);
                _stopping.Token.WaitHandle.WaitOne(TimeSpan.FromMilliseconds(200 * attempt));
            }
        }
    }

    private async Task HeartbeatLoopAsync(IExperimentGrain experiment, RunningJob job, CancellationToken done)
    {
        var a = job.Assignment;
        while (!done.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(_options.HeartbeatInterval, done);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                if (!await experiment.HeartbeatAsync(new JobHeartbeat(a.Job.JobId, a.DispatchId, job.Step, job.TrainFlops, job.Detail)))
                {
                    job.Cancel("the experiment no longer wants this dispatch");
                }
            }
            catch (Exception e) when (!done.IsCancellationRequested)
            {
                _logger.LogWarning(e, "Heartbeat of job {JobId} failed", a.Job.JobId);
            }
        }
    }

    private JobOutcome Noop(RunningJob job, JobPayload payload)
    {
        if (payload.Workload.NoopMilliseconds > 0 && job.Token.WaitHandle.WaitOne(payload.Workload.NoopMilliseconds))
        {
            return job.Stopped(0, 0);
        }
        return new JobOutcome(job.Assignment.Job.JobId, job.Assignment.DispatchId, JobState.Succeeded, 0, 0, null);
    }

    /// <summary>An idempotent storage or grain call from a job thread that waits out a database outage.</summary>
    private T Durable<T>(Func<Task<T>> call, string what, CancellationToken cancellationToken) =>
        OutageRetry.Run(call, what, _logger, cancellationToken);

    private void Durable(Func<Task> call, string what, CancellationToken cancellationToken) =>
        OutageRetry.Run(call, what, _logger, cancellationToken);

    /// <summary>Waits for a task on a job thread (never on a grain's scheduler).</summary>

    private static void Await(Task task) => task.GetAwaiter().GetResult();

    private sealed class SlotRunner(DeviceSlot slot)
    {
        public DeviceSlot Slot { get; } = slot;
        public Channel<JobAssignment> Queue { get; } = Channel.CreateBounded<JobAssignment>(1);
        public Thread? Thread { get; set; }
        public volatile RunningJob? Current;
        public JobAssignment? Pending;
    }
}
