using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Grains.Jobs.Workers;
using ElectraLab.Storage.Results;

namespace ElectraLab.Grains.Jobs;

/// <summary>
/// The silo's side of a finetune-eval attempt: downloads the checkpoint to evaluate, fine-tunes and scores it in a
/// worker process (one run per fine-tuning seed), and stores the scores, which refreshes the leaderboard.
/// </summary>
internal sealed class FinetuneEvalJobHandler(JobServices services)
{
    public JobOutcome Run(JobContext context)
    {
        var (slot, job, payload, work) = context;
        var a = context.Assignment;
        var step = payload.CheckpointStep ?? throw new JobInputException("a finetune-eval job needs a checkpoint step");
        var all = services.Durable(() => services.Checkpoints.ListAsync(payload.ExperimentId), "listing checkpoints", job.Token);
        var checkpoint = all.Where(c => c.Step == step && c.Kind is Storage.Entities.Checkpoint.TrainingState or JobRunner.MilestoneKind)
            .OrderBy(c => c.Kind == Storage.Entities.Checkpoint.TrainingState ? 0 : 1).FirstOrDefault()
            ?? throw new JobInputException($"no checkpoint at step {step} to evaluate");
        var folder = services.Durable(() => CheckpointTransfer.DownloadAsync(services.Checkpoints, checkpoint, Path.Combine(work, "checkpoint")),
            $"downloading the step-{step} checkpoint", job.Token);

        var start = new WorkerStart(JobWorker.FinetuneEvalKind, payload.ConfigJson, slot.Device, slot.Threads, Path.Combine(work, "finetune"),
            CheckpointFolder: folder, Task: payload.Task, Seeds: payload.FinetuneSeeds.ToArray(), GlueDataDirectory: services.Options.GlueDataDirectory,
            SquadDataDirectory: services.Options.SquadDataDirectory, FinetuneConfigJson: payload.Evaluations.FinetuneConfigJson,
            KeepAllSeeds: payload.Evaluations.KeepAllSeeds);
        var done = services.Workers().Run(job, slot.Threads, start, message =>
        {
            if (message.Type == WorkerMessageTypes.Progress) job.Progress(step, 0, detail: message.Detail);
            return null;
        });
        switch (done.State)
        {
            case "stopped":
                return job.Stopped(step, 0);
            case not "succeeded":
                return job.Outcome(JobState.Failed, step, 0, done.Error ?? "failed", done.Permanent);
        }
        var rows = (done.Scores ?? [])
            .Select(s => new EvaluationResultRow(payload.ExperimentId, step, payload.Task!, s.Metric, s.Seed, s.Value, a.Job.JobId))
            .ToList();
        // Seeds run inside the worker, which reports their scores at the end: events on the attempt's span, not spans.
        foreach (var score in done.Scores ?? [])
        {
            System.Diagnostics.Activity.Current?.AddEvent(new System.Diagnostics.ActivityEvent("seed scored", tags: new System.Diagnostics.ActivityTagsCollection
            {
                ["electralab.seed"] = score.Seed, ["electralab.metric"] = score.Metric, ["electralab.value"] = score.Value,
            }));
        }
        services.Durable(() => services.Results.AddAsync(rows), "storing evaluation results", job.Token);
        // The median seed's fine-tuned model leaves with the results: a Hugging Face folder per (task, checkpoint); with
        // keep_all_seeds every seed's too, as "<task>.seed-<n>".
        var kept = new List<(string Kind, string Folder)> { (Storage.Entities.Checkpoint.FinetunedPrefix + payload.Task, Path.Combine(work, "finetune", "model")) };
        if (payload.Evaluations.KeepAllSeeds)
        {
            kept.AddRange(payload.FinetuneSeeds.Select(seed => (Storage.Entities.Checkpoint.FinetunedPrefix + $"{payload.Task}.seed-{seed}",
                Path.Combine(Electra.Finetuning.FinetuneExperiment.SeedFolder(Path.Combine(work, "finetune"), seed), Electra.Finetuning.FinetunedModel.FolderName))));
        }
        foreach (var (kind, model) in kept.Where(k => Directory.Exists(k.Folder)))
        {
            services.Durable(() => CheckpointTransfer.UploadAsync(services.Checkpoints, payload.ExperimentId, step, kind, model, a.Job.JobId),
                $"storing the fine-tuned model {kind}", job.Token);
        }
        return job.Outcome(JobState.Succeeded, step, 0);
    }
}
