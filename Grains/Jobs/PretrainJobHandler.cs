using System.Diagnostics;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Grains.Jobs.Workers;
using ElectraLab.Grains.Telemetry;
using ElectraLab.Storage.Checkpoints;
using ElectraLab.Storage.Metrics;
using Microsoft.Extensions.Logging;

namespace ElectraLab.Grains.Jobs;

/// <summary>
/// The silo's side of a pre-training attempt: downloads the checkpoint to resume from, runs the training loop in a
/// worker process, and does what the worker asks on its behalf: metrics into the metric writer, each checkpoint
/// uploaded (after the metrics before it are stored, so a resume never leaves a gap), rung decisions from the sweep,
/// FLOP milestones to the experiment. The worker waits for each checkpoint's upload before it trains on.
/// </summary>
internal sealed class PretrainJobHandler(JobServices services)
{
    public JobOutcome Run(JobContext context, CheckpointInfo? latest)
    {
        var (slot, job, payload, work) = context;
        var a = context.Assignment;
        job.TokensPerStep = TokensPerStep(payload.ConfigJson);
        string? resume = null;
        if (latest is not null)
        {
            resume = services.Durable(() => CheckpointTransfer.DownloadAsync(services.Checkpoints, latest, Path.Combine(work, "restore")),
                "downloading the checkpoint to resume from", job.Token);
        }
        job.Progress(latest?.Step ?? 0, 0);
        var sweep = services.Grains.GetGrain<ISweepGrain>(payload.SweepId);
        var experiment = services.Grains.GetGrain<IExperimentGrain>(payload.ExperimentId);
        string? stoppedEarly = null;
        var configJson = JobData.Prepare(services, context);
        var start = new WorkerStart(JobWorker.PretrainKind, configJson, slot.Device, slot.Threads, work, resume,
            payload.Checkpoints.Interval, payload.EarlyStopping?.Rungs, payload.Evaluations.FlopMilestones, 
            // The drill crashes a fresh attempt only: the resumed one must be able to finish.
            SegfaultAtStep: latest is null ? services.TakeInjectedFault() : null);

        var done = services.Workers().Run(job, slot.Threads, start, message =>
        {
            switch (message.Type)
            {
                case WorkerMessageTypes.Progress:
                    if (message.MatmulGflops > 0) job.MatmulGflops = message.MatmulGflops;
                    job.Progress(message.Step, message.TrainFlops);
                    return null;
                case WorkerMessageTypes.Metrics:
                    job.Progress(message.Step, message.TrainFlops,
                        tokensPerSecond: message.Metrics?.TryGetValue("tokens_per_second", out var rate) == true ? rate : null);
                    var now = DateTimeOffset.UtcNow;
                    foreach (var (name, point) in message.Metrics ?? [])
                    {
                        services.Metrics.Write(new MetricPoint(payload.ExperimentId, name, message.Step, point, a.Job.JobId, now));
                    }
                    job.Losses(message.Metrics);
                    job.Log.Info(ProgressLine(message.Step, message.Metrics));
                    return null;
                case WorkerMessageTypes.Checkpoint:
                    Upload(context, message.Folder!, message.Step, message.Kind ?? Storage.Entities.Checkpoint.TrainingState);
                    return new WorkerMessage(WorkerMessageTypes.Ack);
                case WorkerMessageTypes.Rung:
                    var rule = payload.EarlyStopping!;
                    if (message.Metrics?.TryGetValue(rule.Metric, out var value) != true)
                    {
                        throw new JobInputException($"early_stopping.metric '{rule.Metric}' is not a pre-training metric");
                    }
                    var go = services.Durable(() => sweep.ReportRungAsync(payload.ExperimentId, message.Step, value), "reporting a rung", job.Token);
                    if (!go) stoppedEarly = $"stopped early at step {message.Step}: {rule.Metric} {value:G4} lost at rung {message.Step} ({rule.Rule})";
                    return new WorkerMessage(WorkerMessageTypes.RungDecision) { Continue = go };
                case WorkerMessageTypes.Milestone:
                    services.Durable(() => experiment.MilestoneReachedAsync(a.Job.JobId, a.DispatchId, message.Step), "reporting a FLOP milestone", job.Token);
                    return new WorkerMessage(WorkerMessageTypes.Ack);
                default:
                    services.Logger.LogWarning("Job {JobId}: unexpected worker message '{Type}'", a.Job.JobId, message.Type);
                    return null;
            }
        });

        job.Progress(done.Step, done.TrainFlops);
        return done.State switch
        {
            "succeeded" => job.Outcome(JobState.Succeeded, done.Step, done.TrainFlops),
            "stopped-early" => FlushThen(job.Outcome(JobState.StoppedEarly, done.Step, done.TrainFlops, stoppedEarly ?? "stopped early"), job),
            "stopped" => job.Stopped(done.Step, done.TrainFlops),
            _ => job.Outcome(JobState.Failed, done.Step, done.TrainFlops, done.Error ?? "failed", done.Permanent),
        };
    }

    /// <summary>"step 40: mlm_loss 6.012, disc_loss 0.4312, learning_rate 0.0002, 1,234 tokens/s": one per log interval.</summary>
    private static string ProgressLine(long step, Dictionary<string, double>? metrics)
    {
        var parts = new List<string>();
        foreach (var name in new[] { "mlm_loss", "disc_loss", "disc_prior_gap", "disc_accuracy", "learning_rate" })
        {
            if (metrics?.TryGetValue(name, out var value) == true) parts.Add($"{name} {value.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}");
        }
        if (metrics?.TryGetValue("tokens_per_second", out var rate) == true)
        {
            parts.Add($"{rate.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} tokens/s");
        }
        return $"step {step}: {string.Join(", ", parts)}";
    }

    /// <summary>train_batch_size × max_seq_length of the resolved config (the tokens one step trains); 0 if absent.</summary>
    private static long TokensPerStep(string configJson)
    {
        try
        {
            var config = System.Text.Json.Nodes.JsonNode.Parse(configJson);
            return (config?["train_batch_size"]?.GetValue<long>() ?? 0) * (config?["max_seq_length"]?.GetValue<long>() ?? 0);
        }
        catch (Exception e) when (e is System.Text.Json.JsonException or InvalidOperationException or FormatException)
        {
            return 0;
        }
    }

    /// <summary>The run stops here with the metrics it wrote so far, all of them stored.</summary>
    private JobOutcome FlushThen(JobOutcome outcome, RunningJob job)
    {
        services.Metrics.FlushAsync(job.Token).GetAwaiter().GetResult();
        return outcome;
    }

    /// <summary>
    /// Stores a checkpoint in PostgreSQL. Metrics are flushed first: once a checkpoint at step N is visible, every metric
    /// up to N is stored, so a job resumed from it never leaves a gap (later steps are replayed, idempotently). During a
    /// database outage this waits (the worker pauses at the checkpoint) until the database is back.
    /// </summary>
    private void Upload(JobContext context, string folder, long step, string kind)
    {
        var (_, job, payload, _) = context;
        // A silo shutting down still stores the checkpoint its worker wrote on the way out.
        var token = job.SiloStopping ? CancellationToken.None : job.Token;
        // A child of the attempt's span (this runs on the slot's thread, inside it); the metric flush belongs to it.
        using var span = PlatformTelemetry.Source.StartActivity("checkpoint write");
        span?.SetTag("electralab.checkpoint.step", step);
        span?.SetTag("electralab.checkpoint.kind", kind);
        var clock = Stopwatch.StartNew();
        services.Metrics.FlushAsync(token).GetAwaiter().GetResult();
        var stored = services.Durable(() => CheckpointTransfer.UploadAsync(services.Checkpoints, payload.ExperimentId, step, kind, folder, job.Assignment.Job.JobId),
            $"uploading the step-{step} checkpoint", token);
        var kindTag = new KeyValuePair<string, object?>("kind", kind);
        PlatformTelemetry.CheckpointWriteDuration.Record(clock.Elapsed.TotalSeconds, kindTag);
        PlatformTelemetry.CheckpointBytes.Add(stored.Bytes, kindTag);
        span?.SetTag("electralab.checkpoint.bytes", stored.Bytes);
        if (kind == Storage.Entities.Checkpoint.TrainingState)
        {
            services.Durable(() => services.Checkpoints.ApplyRetentionAsync(payload.ExperimentId, new RetentionPolicy(payload.Checkpoints.KeepLast)),
                "applying checkpoint retention", token);
        }
    }
}
