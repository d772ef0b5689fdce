// Where jobs run: on a dedicated long-running thread per device slot, inside the silo process.
//
// Decision (ARCHITECTURE.md "Where a job runs"): thread-in-silo rather than a child process per job. Why:
//  - The failure path already has to survive a silo dying at any instant (kill -9, a lost machine). A native crash in
//    libtorch that takes the silo down is the same event and is handled the same way: heartbeats stop, the experiment
//    re-queues the job, another silo resumes it from its last checkpoint in PostgreSQL. Isolation would not add safety
//    the platform does not already need.
//  - Resume is exact, metrics are idempotent on (experiment, name, step) and checkpoints are atomic, so a job killed
//    with its silo loses at most the steps since its last checkpoint, and those are replayed bit-for-bit.
//  - No second protocol: the runner calls the ELECTRA core directly, streams metrics through the silo's shared
//    Storage metric writer (one COPY pipeline per silo instead of per job), and reports to grains directly.
//    Dispatch costs a method call instead of a process start and a libtorch load (seconds per job).
// What it gives up: a slot's thread budget is applied with libtorch's set_num_threads, which is process-wide, so CPU
// slots in one silo share one intra-op pool (run one CPU slot per silo, or one silo per NUMA node, to isolate them);
// device memory is not reclaimed by process exit. A child-process runner (`electralab` reporting over stdout) can be
// added behind the same slot interface if those matter.
//
// Grains never wait on training: a worker grain hands an assignment to TryStart, which only queues it. Everything
// slow (training, checkpoint upload, fine-tuning) happens on the slot's thread; blocking waits on grain calls happen
// there too, never on the Orleans scheduler.
using System.Collections.Concurrent;
using System.Threading.Channels;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Grains.Hosting;
using ElectraLab.Storage.Checkpoints;
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
    private readonly MetricWriter _metrics;
    private readonly CheckpointStore _checkpoints;
    private readonly EvaluationResultStore _results;
    private readonly IFinetuneEvaluator _evaluator;
    private readonly JobOptions _options;
    private readonly SchedulerOptions _schedulerOptions;
    private readonly ILogger<JobRunner> _logger;
    private readonly SlotRunner[] _runners;
    private readonly CancellationTokenSource _stopping = new();
    private Task? _reporting;

    public JobRunner(DeviceSlots slots, IGrainFactory grains, ILocalSiloDetails silo, MetricWriter metrics,
        CheckpointStore checkpoints, EvaluationResultStore results, IFinetuneEvaluator evaluator,
        IOptions<JobOptions> options, IOptions<SchedulerOptions> schedulerOptions, ILogger<JobRunner> logger)
    {
        _slots = slots;
        _grains = grains;
        _silo = silo;
        _metrics = metrics;
        _checkpoints = checkpoints;
        _results = results;
        _evaluator = evaluator;
        _options = options.Value;
        _schedulerOptions = schedulerOptions.Value;
        _logger = logger;
        _runners = slots.Slots.Select(s => new SlotRunner(s)).ToArray();
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
    }

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
            var job = new RunningJob(assignment, _stopping.Token);
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
        _logger.LogInformation("Job {JobId} ({Kind}) started on slot {Slot} ({Device})", a.Job.JobId, payload.Kind, slot.Index, slot.Device);

        var work = Path.Combine(_options.WorkDirectory ?? JobOptions.DefaultWorkDirectory, $"{a.Job.JobId:N}-{a.DispatchId:N}");
        Directory.CreateDirectory(work);
        using var beats = new CancellationTokenSource();
        var heartbeat = Task.Run(() => HeartbeatLoopAsync(experiment, job, beats.Token), CancellationToken.None);
        JobOutcome outcome;
        try
        {
            outcome = payload.Kind switch
            {
                JobKind.Pretrain => Pretrain(slot, job, payload, latest, work),
                JobKind.FinetuneEval => FinetuneEval(slot, job, payload, work),
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
            outcome = new JobOutcome(a.Job.JobId, a.DispatchId, JobState.Failed, job.Step, job.TrainFlops, reason, Permanent: true);
        }
        catch (Exception e)
        {
            _logger.LogError(e, "Job {JobId} failed", a.Job.JobId);
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
        ReportOutcome(experiment, outcome);
    }

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
                if (!await experiment.HeartbeatAsync(new JobHeartbeat(a.Job.JobId, a.DispatchId, job.Step, job.TrainFlops)))
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

    private JobOutcome Pretrain(DeviceSlot slot, RunningJob job, JobPayload payload, CheckpointInfo? latest, string work)
    {
        var a = job.Assignment;
        var config = PretrainingConfigLoader.FromJson(payload.ConfigJson);
        config = config with { Device = slot.Device, NumThreads = config.NumThreads > 0 ? Math.Min(config.NumThreads, slot.Threads) : slot.Threads };
        var dataDir = config.DataDir ?? throw new JobInputException("config key 'data_dir' is required");
        if (!Directory.Exists(dataDir)) throw new JobInputException($"data_dir '{dataDir}' does not exist on silo {SiloKey}");
        using var trainer = new Pretrainer(config, DatasetBatchSource.Factory(dataDir, config.TrainBatchSize, config.Seed),
            DatasetBatchSource.SpecialTokensOf(dataDir));
        if (latest is not null)
        {
            var folder = Durable(() => CheckpointTransfer.DownloadAsync(_checkpoints, latest, Path.Combine(work, "restore")),
                "downloading the checkpoint to resume from", job.Token);
            trainer.LoadCheckpoint(folder);
            _logger.LogInformation("Job {JobId} resumed from step {Step}", a.Job.JobId, trainer.Step);
        }
        job.Progress(trainer.Step, trainer.TrainFlops);

        var sweep = _grains.GetGrain<ISweepGrain>(payload.SweepId);
        var experiment = _grains.GetGrain<IExperimentGrain>(payload.ExperimentId);
        var rungs = new Queue<long>((payload.EarlyStopping?.Rungs ?? []).Where(r => r > trainer.Step));
        var milestones = new Queue<double>(payload.Evaluations.FlopMilestones.Where(m => m > trainer.TrainFlops));
        long end = config.NumTrainSteps;
        var interval = payload.Checkpoints.Interval;
        long saved = trainer.Step;
        while (trainer.Step < end)
        {
            if (job.Token.IsCancellationRequested)
            {
                // A silo shutting down keeps the progress since the last checkpoint; a cancelled experiment does not need it.
                if (_stopping.IsCancellationRequested && trainer.Step > saved)
                    Save(trainer, payload, a, work, Storage.Entities.Checkpoint.TrainingState, CancellationToken.None);
                return job.Stopped(trainer.Step, trainer.TrainFlops);
            }
            trainer.TrainStep();
            var step = trainer.Step;
            job.Progress(step, trainer.TrainFlops);
            var atRung = rungs.Count > 0 && rungs.Peek() == step;
            if (step % config.LogEvery == 0 || step == end || atRung)
            {
                var metrics = trainer.ReadMetrics();
                var now = DateTimeOffset.UtcNow;
                foreach (var (name, value) in metrics.AsPairs())
                {
                    _metrics.Write(new MetricPoint(payload.ExperimentId, name, step, value, a.Job.JobId, now));
                }
                if (atRung)
                {
                    rungs.Dequeue();
                    var rule = payload.EarlyStopping!;
                    var value = metrics.AsPairs().FirstOrDefault(p => p.Key == rule.Metric);
                    if (value.Key is null) throw new InvalidOperationException($"early_stopping.metric '{rule.Metric}' is not a pre-training metric");
                    if (!Durable(() => sweep.ReportRungAsync(payload.ExperimentId, step, value.Value), "reporting a rung", job.Token))
                    {
                        // The decision is final: the run stops here, with the metrics it wrote so far.
                        Await(_metrics.FlushAsync(job.Token));
                        return new JobOutcome(a.Job.JobId, a.DispatchId, JobState.StoppedEarly, step, trainer.TrainFlops,
                            $"stopped early at step {step}: {rule.Metric} {value.Value:G4} lost at rung {step} ({rule.Rule})");
                    }
                }
            }
            if (step % interval == 0 || step == end)
            {
                Save(trainer, payload, a, work, Storage.Entities.Checkpoint.TrainingState, job.Token);
                saved = step;
            }
            if (milestones.Count > 0 && trainer.TrainFlops >= milestones.Peek())
            {
                while (milestones.Count > 0 && trainer.TrainFlops >= milestones.Peek()) milestones.Dequeue();
                Save(trainer, payload, a, work, MilestoneKind, job.Token);
                Durable(() => experiment.MilestoneReachedAsync(a.Job.JobId, a.DispatchId, step), "reporting a FLOP milestone", job.Token);
            }
        }
        if (saved != trainer.Step) Save(trainer, payload, a, work, Storage.Entities.Checkpoint.TrainingState, job.Token);
        return new JobOutcome(a.Job.JobId, a.DispatchId, JobState.Succeeded, trainer.Step, trainer.TrainFlops, null);
    }

    /// <summary>
    /// Writes a checkpoint to PostgreSQL. Metrics are flushed first: once a checkpoint at step N is visible, every metric
    /// up to N is stored, so a job resumed from it never leaves a gap (later steps are replayed, idempotently).
    /// During a database outage this waits (training pauses at the checkpoint) until the database is back.
    /// </summary>
    private void Save(Pretrainer trainer, JobPayload payload, JobAssignment a, string work, string kind, CancellationToken cancellationToken)
    {
        var folder = trainer.SaveCheckpoint(work);
        var step = trainer.Step;
        Await(_metrics.FlushAsync(cancellationToken));
        Durable(() => CheckpointTransfer.UploadAsync(_checkpoints, payload.ExperimentId, step, kind, folder, a.Job.JobId),
            $"uploading the step-{step} checkpoint", cancellationToken);
        if (kind == Storage.Entities.Checkpoint.TrainingState)
        {
            Durable(() => _checkpoints.ApplyRetentionAsync(payload.ExperimentId, new RetentionPolicy(payload.Checkpoints.KeepLast)),
                "applying checkpoint retention", cancellationToken);
        }
    }

    private JobOutcome FinetuneEval(DeviceSlot slot, RunningJob job, JobPayload payload, string work)
    {
        var a = job.Assignment;
        var step = payload.CheckpointStep ?? throw new InvalidOperationException("a finetune-eval job needs a checkpoint step");
        var all = Durable(() => _checkpoints.ListAsync(payload.ExperimentId), "listing checkpoints", job.Token);
        var checkpoint = all.Where(c => c.Step == step && c.Kind is Storage.Entities.Checkpoint.TrainingState or MilestoneKind)
            .OrderBy(c => c.Kind == Storage.Entities.Checkpoint.TrainingState ? 0 : 1).FirstOrDefault()
            ?? throw new JobInputException($"no checkpoint at step {step} to evaluate");
        var folder = Durable(() => CheckpointTransfer.DownloadAsync(_checkpoints, checkpoint, Path.Combine(work, "checkpoint")),
            $"downloading the step-{step} checkpoint", job.Token);
        var evaluation = _evaluator.Evaluate(new FinetuneEvalRequest(folder, payload.ConfigJson, payload.Task!, payload.FinetuneSeeds,
            _options.GlueDataDirectory, _options.SquadDataDirectory, payload.Evaluations.FinetuneConfigJson, slot.Device, slot.Threads,
            Path.Combine(work, "finetune")), job.Token);
        if (job.Token.IsCancellationRequested) return job.Stopped(step, 0);
        var rows = evaluation.Scores
            .Select(s => new EvaluationResultRow(payload.ExperimentId, step, payload.Task!, s.Metric, s.Seed, s.Value, a.Job.JobId))
            .ToList();
        Durable(() => _results.AddAsync(rows), "storing evaluation results", job.Token);
        return new JobOutcome(a.Job.JobId, a.DispatchId, JobState.Succeeded, step, 0, null);
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

    private sealed class RunningJob(JobAssignment assignment, CancellationToken stopping) : IDisposable
    {
        private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        private long _step;
        private double _flops;
        private string? _reason;

        public JobAssignment Assignment { get; } = assignment;
        public CancellationToken Token => _cancel.Token;
        public long Step => Interlocked.Read(ref _step);
        public double TrainFlops => Volatile.Read(ref _flops);

        public void Progress(long step, double flops)
        {
            Interlocked.Exchange(ref _step, step);
            Volatile.Write(ref _flops, flops);
        }

        public void Cancel(string reason)
        {
            Interlocked.CompareExchange(ref _reason, reason, null);
            try
            {
                _cancel.Cancel();
            }
            catch (ObjectDisposedException)
            {
                // The job already ended.
            }
        }

        public JobOutcome Stopped(long step, double flops) =>
            new(Assignment.Job.JobId, Assignment.DispatchId, JobState.Cancelled, step, flops, _reason ?? "cancelled");

        public void Dispose() => _cancel.Dispose();
    }
}
