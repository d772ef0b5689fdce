// A fine-tuned model kept as a Hugging Face folder that transformers loads as it is:
//   config.json        "architectures" ElectraForSequenceClassification (GLUE) or ElectraForQuestionAnswering (SQuAD),
//                      the task's id2label / label2id (HF derives num_labels from id2label), problem_type
//                      ("single_label_classification", or "regression" with one output for STS-B) and finetuning_task;
//                      these are PretrainedConfig keys (transformers configuration_utils.py). ElectraForQuestionAnswering
//                      builds qa_outputs as Linear(hidden, num_labels), so a QA folder says num_labels 2.
//   model.safetensors  HF's tensor names: electra.*, classifier.dense / classifier.out_proj, or qa_outputs
//                      (modeling_electra.py ElectraClassificationHead, ElectraForQuestionAnswering)
//   vocab.txt, tokenizer_config.json, special_tokens_map.json
//                      the fine-tuning tokenizer, model_max_length = the max_seq_length it was fine-tuned with
//   finetuning.json    ElectraLab's record: task, seed, resolved fine-tuning config, dev metrics, prediction files.
//                      transformers ignores it; `electralab eval model` reads it to rerun the dev set exactly.
// STS-B's single output is the official code's regression target, score / 5 (E-cls): multiply by 5 for the 0-5 scale.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Electra.Finetuning.Glue;
using ElectraLab.Electra.Modeling;
using TorchSharp;
using ElectraLab.Config;
using ElectraLab.Config.Modeling;
using ElectraLab.Config.Finetuning;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Electra.Finetuning;

/// <summary>What finetuning.json records besides the config: the seed's task, seed, dev metrics and prediction files.</summary>
public sealed record FinetunedModelInfo(string Task, long Seed, IReadOnlyDictionary<string, double?> Metrics, IReadOnlyList<string> PredictionFiles,
    string Backbone);

/// <summary>A kept fine-tuned model opened from its folder: the model, its task and config, its tokenizer, its label names.</summary>
public sealed class LoadedFinetunedModel(ElectraTaskModel model, string architecture, FinetuningTask task, FinetuningConfig config,
    HfTokenizerSettings tokenizer, IReadOnlyList<string> labels, FinetunedModelInfo? info) : IDisposable
{
    public ElectraTaskModel Model { get; } = model;
    public string Architecture { get; } = architecture;
    public FinetuningTask Task { get; } = task;
    public FinetuningConfig Config { get; } = config;
    public HfTokenizerSettings Tokenizer { get; } = tokenizer;

    /// <summary>The classifier's outputs in id order, as GLUE writes them (empty for STS-B and SQuAD).</summary>
    public IReadOnlyList<string> Labels { get; } = labels;

    /// <summary>finetuning.json's record, or null for a folder fine-tuned elsewhere.</summary>
    public FinetunedModelInfo? Info { get; } = info;

    public void Dispose() => Model.Dispose();
}

public static class FinetunedModel
{
    public const string InfoFile = "finetuning.json";

    /// <summary>The kept model's folder name, in a fine-tuning output folder and in each seed's folder.</summary>
    public const string FolderName = "model";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    /// <summary>Writes <paramref name="model"/> (already trained; any device) as a complete Hugging Face folder.</summary>
    public static void Save(string directory, ElectraTaskModel model, FinetuningTask task, FinetuningConfig config, WordPieceTokenizer tokenizer,
        FinetunedModelInfo info)
    {
        if (Directory.Exists(directory)) Directory.Delete(directory, recursive: true);
        HfModelDirectory.Save(directory, model, LabelledConfig(model.Config, task), model.HfArchitecture);
        HfTokenizerFiles.Write(directory, tokenizer, config.MaxSeqLength);
        var json = new JsonObject
        {
            ["task"] = info.Task,
            ["seed"] = info.Seed,
            ["backbone"] = info.Backbone,
            ["metrics"] = new JsonObject(info.Metrics.Select(kv =>
                KeyValuePair.Create(kv.Key, kv.Value is { } v && double.IsFinite(v) ? (JsonNode?)v : null))),
            ["prediction_files"] = new JsonArray(info.PredictionFiles.Select(f => (JsonNode?)f).ToArray()),
            ["config"] = JsonSerializer.SerializeToNode(config),
        };
        if (task.Glue is { IsRegression: true }) json["output_scale"] = GlueFinetuner.StsScale;
        File.WriteAllText(Path.Combine(directory, InfoFile), json.ToJsonString(Indented) + "\n");
    }

    /// <summary>The model config with the task's head described the way transformers reads it.</summary>
    public static ElectraConfig LabelledConfig(ElectraConfig config, FinetuningTask task)
    {
        var extra = (JsonObject)config.Extra.DeepClone();
        foreach (var key in new[] { "id2label", "label2id", "problem_type", "finetuning_task", "architectures" }) extra.Remove(key);
        extra["finetuning_task"] = task.Name;
        if (task.Glue is not { } glue) return config with { NumLabels = 2, Extra = extra };   // qa_outputs: start, end
        if (glue.IsRegression)
        {
            extra["problem_type"] = "regression";
            return config with { NumLabels = 1, Extra = extra };
        }
        var id2label = new JsonObject();
        var label2id = new JsonObject();
        for (int i = 0; i < glue.Labels.Count; i++)
        {
            id2label[i.ToString(CultureInfo.InvariantCulture)] = glue.Labels[i];
            label2id[glue.Labels[i]] = i;
        }
        extra["id2label"] = id2label;
        extra["label2id"] = label2id;
        extra["problem_type"] = "single_label_classification";
        return config with { NumLabels = glue.Labels.Count, Extra = extra };
    }

    /// <summary>
    /// Opens a kept model: the folder's config and weights, its tokenizer (required), and its task and fine-tuning config
    /// from finetuning.json, else from <paramref name="task"/> and that task's defaults for the model's size.
    /// The tokenizer's casing and model_max_length (the max_seq_length it was fine-tuned with) override the config's.
    /// </summary>
    public static LoadedFinetunedModel Open(string directory, string? task = null, IEnumerable<string>? sets = null)
    {
        var tokenizer = HfTokenizerFiles.Read(directory)
            ?? throw new FileNotFoundException($"{directory}: no {HfTokenizerFiles.VocabFile}; a fine-tuned model folder carries its tokenizer", Path.Combine(directory, HfTokenizerFiles.VocabFile));
        var info = ReadInfo(directory, out var savedConfig);
        var taskName = task ?? info?.Task
            ?? throw new ArgumentException($"{directory}: no {InfoFile} says which task this model was fine-tuned on; name it (--task)");
        var parsed = FinetuningTask.Parse(taskName);

        var (module, modelConfig, architecture) = HfModelDirectory.Load(directory);
        try
        {
            var expected = parsed.IsSquad ? "ElectraForQuestionAnswering" : "ElectraForSequenceClassification";
            if (architecture != expected)
                throw new InvalidDataException($"{directory}: holds {architecture}, but {parsed.Name} needs {expected}");
            if (module is ElectraForSequenceClassification classifier && classifier.NumLabels != parsed.Glue!.NumLabels)
                throw new InvalidDataException($"{directory}: the classifier has {classifier.NumLabels} outputs, but {parsed.Name} has {parsed.Glue.NumLabels}");

            // The saved config (when it is this task's), then the caller's overrides; the tokenizer's casing and
            // model_max_length unless an override names them.
            var overrides = sets?.ToList() ?? [];
            var all = new List<string>();
            if (savedConfig is not null && info is not null && FinetuningTask.Parse(info.Task).Name == parsed.Name)
                // Null keys are the optional ones whose default is null (vocab_file, train_file, max_train_examples).
                all.AddRange(FinetuningConfigLoader.ToSets(new JsonObject(savedConfig.Where(kv => kv.Value is not null)
                    .Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value!.DeepClone())))));
            if (!Names(overrides, "do_lower_case")) all.Add($"do_lower_case={(tokenizer.DoLowerCase ? "true" : "false")}");
            if (!Names(overrides, "max_seq_length") && tokenizer.ModelMaxLength is { } maxLength)
                all.Add($"max_seq_length={Math.Min(maxLength, modelConfig.MaxPositionEmbeddings).ToString(CultureInfo.InvariantCulture)}");
            all.AddRange(overrides);
            var config = FinetuningConfigLoader.Load(parsed, modelConfig, all);
            if (config.MaxSeqLength > modelConfig.MaxPositionEmbeddings)
                throw new ArgumentException($"config key 'max_seq_length' is {config.MaxSeqLength} but the model has {modelConfig.MaxPositionEmbeddings} positions");
            var labels = parsed.Glue is { IsRegression: false } glue ? LabelNames(modelConfig, glue) : [];
            return new LoadedFinetunedModel((ElectraTaskModel)module, architecture, parsed, config, tokenizer, labels, info);
        }
        catch
        {
            module.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Runs a kept model on the dev set of its task (GLUE folder, or SQuAD dev file / folder), writes the same prediction
    /// files fine-tuning wrote into <paramref name="outDir"/>, and returns the dev metrics. <paramref name="writeLogits"/> adds each
    /// GLUE dev set's raw outputs (<see cref="GlueDevEvaluation.LogitsFile"/>); SQuAD ignores it.
    /// </summary>
    public static (Dictionary<string, double?> Metrics, List<string> Files) EvaluateDev(LoadedFinetunedModel loaded, string data, string outDir,
        string? device = null, TextWriter? log = null, CancellationToken cancellation = default, bool writeLogits = false)
    {
        var config = loaded.Config;
        if (config.NumThreads > 0) torch.set_num_threads(config.NumThreads);
        var target = TorchDevices.Default(device ?? config.Device);
        // A kept model records the precision it was fine-tuned in; only an override back to auto needs resolving.
        config = config.WithPrecision(PrecisionSelection.Resolve(config.Precision, target));
        var tokenizer = loaded.Tokenizer.CreateTokenizer();
        loaded.Model.to(target);
        if (loaded.Task.IsSquad)
        {
            var dev = SquadFinetuner.Check(loaded.Task, Squad.SquadDataset.Load(SquadDevEvaluation.DevFile(loaded.Task, data)));
            var evaluation = new SquadDevEvaluation(loaded.Task, dev, tokenizer, config);
            return evaluation.Run((ElectraForQuestionAnswering)loaded.Model, config, target, outDir, cancellation: cancellation);
        }
        var glue = loaded.Task.Glue!;
        var devs = GlueDevEvaluation.LoadDevs(loaded.Task, data, log);
        var glueEvaluation = new GlueDevEvaluation(glue, devs, tokenizer, config.MaxSeqLength);
        return glueEvaluation.Run((ElectraForSequenceClassification)loaded.Model, config, target, outDir, cancellation: cancellation,
            labelNames: loaded.Labels.Count > 0 ? loaded.Labels : null, writeLogits: writeLogits);
    }

    /// <summary>
    /// The classifier's outputs as task labels: id2label when its names are exactly the task's labels (in any order),
    /// else the task's order (a folder whose id2label says LABEL_0, LABEL_1, ...).
    /// </summary>
    private static IReadOnlyList<string> LabelNames(ElectraConfig config, GlueTask glue)
    {
        if (config.Extra["id2label"] is not JsonObject id2label || id2label.Count != glue.Labels.Count) return glue.Labels;
        var names = new string[glue.Labels.Count];
        foreach (var (key, value) in id2label)
        {
            if (!int.TryParse(key, NumberStyles.None, CultureInfo.InvariantCulture, out var id) || id < 0 || id >= names.Length) return glue.Labels;
            if (value is not JsonValue v || !v.TryGetValue<string>(out var name) || !glue.Labels.Contains(name)) return glue.Labels;
            names[id] = name;
        }
        return names.Distinct().Count() == names.Length ? names : glue.Labels;
    }

    private static bool Names(IEnumerable<string> sets, string key) =>
        sets.Any(s => s.Split('=', 2)[0].Trim() == key);

    private static FinetunedModelInfo? ReadInfo(string directory, out JsonObject? config)
    {
        config = null;
        var path = Path.Combine(directory, InfoFile);
        if (!File.Exists(path)) return null;
        if (JsonFiles.ParseNode(path) is not JsonObject json) throw new InvalidDataException($"{path}: expected a JSON object");
        try
        {
            config = json["config"] as JsonObject;
            var metrics = json["metrics"] is JsonObject m
                ? m.ToDictionary(kv => kv.Key, kv => kv.Value is null ? null : (double?)kv.Value.GetValue<double>())
                : new Dictionary<string, double?>();
            var files = json["prediction_files"] is JsonArray a ? a.Select(n => n!.GetValue<string>()).ToList() : [];
            return new FinetunedModelInfo(json["task"]?.GetValue<string>() ?? throw new InvalidDataException($"{path}: key 'task' is missing"),
                json["seed"]?.GetValue<long>() ?? 0, metrics, files, json["backbone"]?.GetValue<string>() ?? "");
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or ArgumentException)
        {
            throw new InvalidDataException($"{path}: not a readable {InfoFile} ({e.Message})", e);
        }
    }
}
