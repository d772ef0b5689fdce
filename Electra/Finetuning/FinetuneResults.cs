// results.json of a fine-tuning sweep: what was fine-tuned (task, model, resolved config, data counts), every
// seed's dev metrics and training, and per metric the median over seeds with its bootstrap interval. The main
// metric picks the median seed, whose prediction files (and fine-tuned model) are the ones kept in the output folder.
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using ElectraLab.Config.Finetuning;

namespace ElectraLab.Electra.Finetuning;

public sealed record SeedScore(
    [property: JsonPropertyName("seed")] long Seed,
    [property: JsonPropertyName("metrics")] IReadOnlyDictionary<string, double?> Metrics,
    [property: JsonPropertyName("train_steps")] long TrainSteps,
    [property: JsonPropertyName("final_train_loss")] double? FinalTrainLoss,
    [property: JsonPropertyName("train_seconds")] double TrainSeconds,
    [property: JsonPropertyName("eval_seconds")] double EvalSeconds);

/// <summary>A metric over seeds: the median of the seeds where it is defined, and the bootstrap interval of that median.</summary>
public sealed record MetricSummary(
    [property: JsonPropertyName("median")] double? Median,
    [property: JsonPropertyName("interval")] MedianInterval? Interval,
    [property: JsonPropertyName("seeds_defined")] int SeedsDefined);

public sealed record FinetuneResults(
    [property: JsonPropertyName("task")] string Task,
    [property: JsonPropertyName("main_metric")] string MainMetric,
    [property: JsonPropertyName("model")] JsonObject Model,
    [property: JsonPropertyName("data")] JsonObject Data,
    [property: JsonPropertyName("config")] FinetuningConfig Config,
    [property: JsonPropertyName("device")] string Device,
    [property: JsonPropertyName("seeds")] IReadOnlyList<SeedScore> Seeds,
    [property: JsonPropertyName("summary")] IReadOnlyDictionary<string, MetricSummary> Summary,
    [property: JsonPropertyName("median_seed")] long MedianSeed,
    [property: JsonPropertyName("prediction_files")] IReadOnlyList<string> PredictionFiles,
    [property: JsonPropertyName("train_seconds")] double TrainSeconds,
    [property: JsonPropertyName("total_seconds")] double TotalSeconds,
    [property: JsonPropertyName("finished_at")] DateTimeOffset FinishedAt,
    /// <summary>The median seed's fine-tuned model (a Hugging Face folder), relative to the output folder; null when none was kept.</summary>
    [property: JsonPropertyName("kept_model")] string? KeptModel = null,
    /// <summary>Every seed's model folder by seed, when all were kept.</summary>
    [property: JsonPropertyName("kept_seed_models")] IReadOnlyDictionary<string, string>? KeptSeedModels = null)
{
    public const string FileName = "results.json";

    [JsonIgnore] public double? Median => Summary[MainMetric].Median;
    [JsonIgnore] public MedianInterval? Interval => Summary[MainMetric].Interval;

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        // NaN losses and undefined metrics must not make the file unwritable.
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public string ToJson() => JsonSerializer.Serialize(this, Json);

    public static FinetuneResults Read(string path) =>
        JsonSerializer.Deserialize<FinetuneResults>(File.ReadAllText(path), Json) ?? throw new InvalidDataException($"{path}: empty results");
}
