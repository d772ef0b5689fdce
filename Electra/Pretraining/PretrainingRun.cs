// The one pre-training loop. Every driver (the CLI's `pretrain`, a silo's job worker, the tests) runs its steps
// through here, so logging cadence, checkpoints, stopping, early-stopping rungs and FLOP milestones behave the same
// everywhere; what differs (a progress bar, metrics into PostgreSQL, a checkpoint upload) is the observer's business.
namespace ElectraLab.Electra.Pretraining;

/// <summary>What a driver hears from a run. Every call happens on the run's thread, between steps.</summary>
public interface IPretrainingObserver
{
    /// <summary>After every step: cheap bookkeeping only (a progress bar, a heartbeat counter).</summary>
    void Progress(long step, double trainFlops) { }

    /// <summary>At every log_every steps, the last step, and each rung: averages since the previous call.</summary>
    void Metrics(TrainingMetrics metrics) { }

    /// <summary>
    /// A checkpoint folder is complete on local disk. The run waits for this to return, so a driver that must make the
    /// checkpoint durable elsewhere (upload it) does so here before training goes on.
    /// </summary>
    void CheckpointSaved(string folder, long step, CheckpointKind kind) { }

    /// <summary>An early-stopping rung was reached: true to continue, false to stop the run here.</summary>
    bool RungReached(long step, TrainingMetrics metrics) => true;

    /// <summary>Train FLOPs passed a milestone; its checkpoint was reported just before.</summary>
    void MilestoneReached(long step) { }

    /// <summary>
    /// Asked when a run is cancelled: checkpoint the steps since the last checkpoint? (Ctrl+C in the CLI, a silo
    /// shutting down: yes; a cancelled experiment: no, nobody needs them.)
    /// </summary>
    bool SaveWhenStopped => true;
}

public enum CheckpointKind
{
    /// <summary>At the checkpoint interval, at the end, and when a stopped run keeps its progress.</summary>
    TrainingState,

    /// <summary>At a train-FLOP milestone, for evaluation at that compute.</summary>
    Milestone,
}

/// <summary>How a run ended.</summary>
public enum PretrainingRunOutcome
{
    /// <summary>Reached its last step.</summary>
    Finished,

    /// <summary>Cancelled between steps.</summary>
    Stopped,

    /// <summary>A rung decided against it.</summary>
    StoppedEarly,
}

public sealed record PretrainingRunResult(PretrainingRunOutcome Outcome, long Step, double TrainFlops, string? LastCheckpoint);

/// <summary>Where and when a run checkpoints and what it watches for.</summary>
/// <param name="CheckpointRoot">Checkpoint folders go under it (<see cref="PretrainingCheckpoint.Folder"/>); null: no checkpoints.</param>
/// <param name="UntilStep">Stop after this step (default num_train_steps).</param>
/// <param name="CheckpointInterval">Steps between checkpoints (default the config's save_checkpoints_steps).</param>
/// <param name="Rungs">Early-stopping rungs (steps), ascending.</param>
/// <param name="FlopMilestones">Train-FLOP milestones, ascending.</param>
public sealed record PretrainingRunOptions(
    string? CheckpointRoot,
    long? UntilStep = null,
    int? CheckpointInterval = null,
    IReadOnlyList<long>? Rungs = null,
    IReadOnlyList<double>? FlopMilestones = null);

public sealed class PretrainingRun(Pretrainer trainer, PretrainingRunOptions options, IPretrainingObserver? observer = null)
{
    private readonly IPretrainingObserver _observer = observer ?? new NullObserver();

    public PretrainingRunResult Run(CancellationToken cancellation = default)
    {
        var config = trainer.Config;
        var end = Math.Min(options.UntilStep ?? config.NumTrainSteps, config.NumTrainSteps);
        var interval = options.CheckpointInterval ?? config.SaveCheckpointsSteps;
        var rungs = new Queue<long>((options.Rungs ?? []).Where(r => r > trainer.Step).Order());
        var milestones = new Queue<double>((options.FlopMilestones ?? []).Where(m => m > trainer.TrainFlops).Order());
        var saved = trainer.Step;
        string? last = null;
        _observer.Progress(trainer.Step, trainer.TrainFlops);
        trainer.RestartIntervalClock();  // the first interval's tokens per second count from here, not from construction

        while (trainer.Step < end)
        {
            if (cancellation.IsCancellationRequested)
            {
                if (trainer.Step > saved && options.CheckpointRoot is not null && _observer.SaveWhenStopped) last = Save(CheckpointKind.TrainingState);
                return new PretrainingRunResult(PretrainingRunOutcome.Stopped, trainer.Step, trainer.TrainFlops, last);
            }
            trainer.TrainStep();
            var step = trainer.Step;
            _observer.Progress(step, trainer.TrainFlops);

            var atRung = rungs.Count > 0 && rungs.Peek() == step;
            if (step % config.LogEvery == 0 || step == end || atRung)
            {
                var metrics = trainer.ReadMetrics();
                _observer.Metrics(metrics);
                if (atRung)
                {
                    rungs.Dequeue();
                    if (!_observer.RungReached(step, metrics))
                    {
                        return new PretrainingRunResult(PretrainingRunOutcome.StoppedEarly, step, trainer.TrainFlops, last);
                    }
                }
            }
            if (options.CheckpointRoot is not null && (step % interval == 0 || step == end))
            {
                last = Save(CheckpointKind.TrainingState);
                saved = step;
            }
            if (options.CheckpointRoot is not null && milestones.Count > 0 && trainer.TrainFlops >= milestones.Peek())
            {
                while (milestones.Count > 0 && trainer.TrainFlops >= milestones.Peek()) milestones.Dequeue();
                Save(CheckpointKind.Milestone);
                _observer.MilestoneReached(step);
            }
        }
        // num_train_steps 0 is the no-pre-training baseline: its initial weights are saved as its final checkpoint.
        if (options.CheckpointRoot is not null && (saved != trainer.Step || end == 0)) last = Save(CheckpointKind.TrainingState);
        return new PretrainingRunResult(PretrainingRunOutcome.Finished, trainer.Step, trainer.TrainFlops, last);
    }

    private string Save(CheckpointKind kind)
    {
        // A milestone's folder lives apart from the training states, whose retention would otherwise prune it.
        var root = kind == CheckpointKind.Milestone ? Path.Combine(options.CheckpointRoot!, "milestones") : options.CheckpointRoot!;
        var folder = trainer.SaveCheckpoint(root);
        _observer.CheckpointSaved(folder, trainer.Step, kind);
        return folder;
    }

    private sealed class NullObserver : IPretrainingObserver;
}
