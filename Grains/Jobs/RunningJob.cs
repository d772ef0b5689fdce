using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Grains.Telemetry;

namespace ElectraLab.Grains.Jobs;

/// <summary>One dispatch on a slot: its cancellation, the progress its heartbeats report, and why it was stopped.</summary>
internal sealed class RunningJob(JobAssignment assignment, CancellationToken stopping, JobAttemptLog? log = null) : IDisposable
{
    private readonly CancellationTokenSource _cancel = CancellationTokenSource.CreateLinkedTokenSource(stopping);
    private long _step;
    private double _flops;
    private double _tokensPerSecond;
    private long _counted = -1;
    private string? _reason;
    private string? _detail;
    private double _achieved;
    private (long Ticks, double Flops)? _lastFlops;

    public JobAssignment Assignment { get; } = assignment;

    /// <summary>This attempt's log, kept with the experiment.</summary>
    public JobAttemptLog Log { get; } = log ?? new JobAttemptLog(null, assignment);
    public CancellationToken Token => _cancel.Token;

    /// <summary>The silo is shutting down (rather than the experiment cancelling this job).</summary>
    public bool SiloStopping => stopping.IsCancellationRequested;

    public long Step => Interlocked.Read(ref _step);
    public double TrainFlops => Volatile.Read(ref _flops);

    /// <summary>What the job is doing in words, when its kind says more than a step (fine-tuning: task, seed, phase).</summary>
    public string? Detail => Volatile.Read(ref _detail);

    /// <summary>The worker's square-matmul rate on its device and dtype (GFLOP/s); 0 until it reports one.</summary>
    public double MatmulGflops { get; set; }

    /// <summary>Achieved train FLOP/s, smoothed over progress reports (0 before two reports).</summary>
    public double AchievedFlopsPerSecond => Volatile.Read(ref _achieved);

    /// <summary>Model FLOPs utilisation: achieved train FLOP/s over the measured matmul rate (0 when either is unknown).</summary>
    public double Mfu => MatmulGflops > 0 ? AchievedFlopsPerSecond / (MatmulGflops * 1e9) : 0;

    /// <summary>Throughput as the trainer last reported it (0 before its first metrics).</summary>
    public double TokensPerSecond => Volatile.Read(ref _tokensPerSecond);

    /// <summary>The generator's MLM loss and the discriminator's loss as last reported (NaN before the first report).</summary>
    public (double Mlm, double Disc) Loss { get; private set; } = (double.NaN, double.NaN);

    /// <summary>Keeps the losses of a metrics report for the gauges.</summary>
    public void Losses(Dictionary<string, double>? metrics)
    {
        if (metrics is null) return;
        Loss = (metrics.TryGetValue("mlm_loss", out var mlm) ? mlm : Loss.Mlm, metrics.TryGetValue("disc_loss", out var disc) ? disc : Loss.Disc);
    }

    /// <summary>The job's kind ("pretrain", "finetune-eval", "noop") once its payload is read; null before.</summary>
    public string? Kind { get; set; }

    /// <summary>Tokens one step trains (batch × sequence length), for the cluster's token counter; 0 if unknown.</summary>
    public long TokensPerStep { get; set; }

    /// <summary>
    /// The step and FLOPs reached. The first report is the attempt's starting point (a resumed step is not trained
    /// again); every later one adds the steps since to the cluster's step and token counters.
    /// </summary>
    public void Progress(long step, double flops, double? tokensPerSecond = null, string? detail = null)
    {
        Interlocked.Exchange(ref _step, step);
        Volatile.Write(ref _flops, flops);
        if (detail is not null) Volatile.Write(ref _detail, detail);
        TrackFlopRate(flops);
        if (tokensPerSecond is { } rate) Volatile.Write(ref _tokensPerSecond, rate);
        var counted = Interlocked.Read(ref _counted);
        if (counted < 0)
        {
            Interlocked.Exchange(ref _counted, step);
        }
        else if (step > counted && Interlocked.CompareExchange(ref _counted, step, counted) == counted)
        {
            var kind = new KeyValuePair<string, object?>("kind", Kind);
            PlatformTelemetry.Steps.Add(step - counted, kind);
            if (TokensPerStep > 0) PlatformTelemetry.Tokens.Add((double)(step - counted) * TokensPerStep, kind);
        }
    }

    // Achieved FLOP/s from successive reports (exponentially smoothed); reports from one thread at a time (the handler's).
    private void TrackFlopRate(double flops)
    {
        var now = System.Diagnostics.Stopwatch.GetTimestamp();
        if (_lastFlops is { } last && flops > last.Flops && now > last.Ticks)
        {
            var rate = (flops - last.Flops) / ((now - last.Ticks) / (double)System.Diagnostics.Stopwatch.Frequency);
            var smoothed = _achieved == 0 ? rate : 0.8 * _achieved + 0.2 * rate;
            Volatile.Write(ref _achieved, smoothed);
        }
        if (_lastFlops is null || flops != _lastFlops.Value.Flops) _lastFlops = (now, flops);
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

    public JobOutcome Outcome(JobState state, long step, double flops, string? error = null, bool permanent = false) =>
        new(Assignment.Job.JobId, Assignment.DispatchId, state, step, flops, error, permanent);

    public void Dispose() => _cancel.Dispose();
}
