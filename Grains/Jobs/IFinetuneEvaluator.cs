namespace ElectraLab.Grains.Jobs;

/// <summary>
/// Fine-tunes a pre-trained checkpoint on one task once per seed and scores it: the body of a finetune-eval job.
/// Synchronous: it runs on the job's own thread, never in a grain turn.
/// </summary>
public interface IFinetuneEvaluator
{
    /// <param name="progress">called as training and scoring go (seed, phase, step); may be null</param>
    FinetuneEvaluation Evaluate(FinetuneEvalRequest request, CancellationToken cancellation,
        Action<Electra.Finetuning.FinetuningProgress>? progress = null);
}

/// <param name="CheckpointFolder">A pre-training checkpoint folder (model.safetensors, state.json).</param>
/// <param name="PretrainingConfigJson">The experiment's resolved pre-training config.</param>
/// <param name="Task">A leaderboard task name: cola, sst2, mrpc, stsb, qqp, mnli, qnli, rte, squad1, squad2.</param>
/// <param name="SettingsJson">The sweep's evaluation.finetune settings, or null for the fine-tuner's defaults.</param>
public sealed record FinetuneEvalRequest(
    string CheckpointFolder,
    string PretrainingConfigJson,
    string Task,
    IReadOnlyList<int> Seeds,
    string? GlueDataDirectory,
    string? SquadDataDirectory,
    string? SettingsJson,
    string Device,
    int Threads,
    string WorkDirectory,
    /// <summary>Keep every seed's fine-tuned model (seeds/seed-&lt;n&gt;/model under the work folder), not only the median's.</summary>
    bool KeepAllSeeds = false);

/// <summary>One score of one seed: e.g. (seed 2, "mcc", 0.41).</summary>
public sealed record EvaluationScore(int Seed, string Metric, double Value);

public sealed record FinetuneEvaluation(IReadOnlyList<EvaluationScore> Scores);
