using System.Globalization;
using System.Text.Json.Nodes;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Config.Finetuning;

namespace ElectraLab.Grains.Jobs;

/// <summary>
/// The ELECTRA core's fine-tuner behind <see cref="IFinetuneEvaluator"/>: fine-tunes the checkpoint's discriminator on
/// one GLUE task or SQuAD once per seed and scores dev. Metric names are mapped to the leaderboard's (mcc, spearman, em).
/// </summary>
public sealed class ElectraFinetuneEvaluator : IFinetuneEvaluator
{
    private static readonly Dictionary<string, string> TaskNames = new()
    {
        ["cola"] = "CoLA", ["sst2"] = "SST-2", ["mrpc"] = "MRPC", ["stsb"] = "STS-B", ["qqp"] = "QQP",
        ["mnli"] = "MNLI", ["qnli"] = "QNLI", ["rte"] = "RTE", ["squad1"] = "squad1", ["squad2"] = "squad2",
    };

    private static readonly Dictionary<string, string> MetricNames = new()
    {
        ["matthews_correlation"] = "mcc", ["spearmanr"] = "spearman", ["pearsonr"] = "pearson", ["exact_match"] = "em", ["exact"] = "em",
    };

    public FinetuneEvaluation Evaluate(FinetuneEvalRequest request, CancellationToken cancellation, Action<FinetuningProgress>? progress = null)
    {
        var task = TaskNames.GetValueOrDefault(request.Task) ?? throw new ArgumentException($"unknown evaluation task '{request.Task}'");
        var squad = request.Task.StartsWith("squad", StringComparison.Ordinal);
        var data = (squad ? request.SquadDataDirectory : request.GlueDataDirectory)
            ?? throw new JobInputException($"no data for {request.Task}: set ElectraLab:Jobs:{(squad ? "Squad" : "Glue")}DataDirectory on the silo");
        // The same key=value form sweep validation checked (FinetuningConfigLoader.CheckOverrides), so the two cannot drift.
        var sets = request.SettingsJson is { } settings && JsonNode.Parse(settings) is JsonObject overrides
            ? FinetuningConfigLoader.ToSets(overrides).ToList()
            : [];
        sets.Add($"device={request.Device}");
        sets.Add($"num_threads={request.Threads.ToString(CultureInfo.InvariantCulture)}");
        // Its warnings and the precision auto chose go to the job's log (a worker's stderr).
        var experiment = FinetuneExperiment.Prepare(task, request.CheckpointFolder, data, sets, Console.Error);
        var results = experiment.Run(request.Seeds.Select(s => (long)s).ToList(), request.WorkDirectory, progress, cancellation: cancellation,
            keep: request.KeepAllSeeds ? KeptModels.All : KeptModels.Median);
        var scores = new List<EvaluationScore>();
        foreach (var seed in results.Seeds)
        {
            foreach (var (metric, value) in seed.Metrics)
            {
                if (value is { } v && double.IsFinite(v))
                {
                    scores.Add(new EvaluationScore((int)seed.Seed, MetricNames.GetValueOrDefault(metric, metric), v));
                }
            }
        }
        return new FinetuneEvaluation(scores);
    }
}
