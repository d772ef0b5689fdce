// Fine-tuning one backbone on one task with N seeds: what a job runner or the CLI calls. Prepare() resolves the
// task, the model, the config (task/size defaults, then --set), the tokenizer and the data, and fails on bad
// input before any training. Run() fine-tunes each seed from the same backbone, scores dev with the shared
// metric functions, and writes into the output folder:
//   results.json                  everything (task, model, config, per-seed metrics, medians, intervals, times)
//   <median seed's predictions>   GLUE: <TASK>.tsv submission files; SQuAD: predictions.json (+ na_probs.json)
//   seeds/seed-<n>/metrics.json   each seed's metrics as soon as it finishes
//   model/                        the median seed's fine-tuned model as a Hugging Face folder (FinetunedModel);
//                                 with KeptModels.All every seed also keeps seeds/seed-<n>/model/
using System.Diagnostics;
using System.Text.Json.Nodes;
using ElectraLab.Electra.Data.Tokenization;
using static TorchSharp.torch;
using ElectraLab.Config.Finetuning;

namespace ElectraLab.Electra.Finetuning;

/// <summary>Which fine-tuned models a run keeps as Hugging Face folders.</summary>
public enum KeptModels
{
    /// <summary>Scores and predictions only.</summary>
    None,

    /// <summary>The median seed's model, in model/ (the default).</summary>
    Median,

    /// <summary>The median seed's in model/ and every seed's in seeds/seed-&lt;n&gt;/model/.</summary>
    All,
}

public sealed class FinetuneExperiment
{
    private readonly ISeedFinetuner _finetuner;
    private readonly string _device;

    private FinetuneExperiment(FinetuningTask task, BackboneSource source, FinetuningConfig config, ISeedFinetuner finetuner, string device,
        string tokenizerVocab)
    {
        Task = task;
        Source = source;
        Config = config;
        _finetuner = finetuner;
        _device = device;
        VocabFile = tokenizerVocab;
    }

    public FinetuningTask Task { get; }
    public BackboneSource Source { get; }
    public FinetuningConfig Config { get; }
    public string VocabFile { get; }
    public string MainMetric => _finetuner.MainMetric;
    public IReadOnlyDictionary<string, long> DataSummary => _finetuner.DataSummary;

    /// <summary>From names as a user gives them: a task name, a model folder, a GLUE folder or SQuAD file/folder, --set overrides.</summary>
    public static FinetuneExperiment Prepare(string task, string model, string data, IEnumerable<string> sets, TextWriter? log = null)
    {
        var parsed = FinetuningTask.Parse(task);
        var source = BackboneSource.Open(model);
        // The model's own casing (its tokenizer_config.json, or its pre-training data) unless --set names one.
        var casing = source.LowerCase is { } lower ? [$"do_lower_case={(lower ? "true" : "false")}"] : Array.Empty<string>();
        return Prepare(parsed, source, data, FinetuningConfigLoader.Load(parsed, source.Config, casing.Concat(sets)), log);
    }

    public static FinetuneExperiment Prepare(FinetuningTask task, BackboneSource source, string data, FinetuningConfig config, TextWriter? log = null)
    {
        config.Validate();
        if (config.MaxSeqLength > source.Config.MaxPositionEmbeddings)
            throw new ArgumentException($"config key 'max_seq_length' is {config.MaxSeqLength} but the model has {source.Config.MaxPositionEmbeddings} positions");
        var vocab = config.VocabFile ?? source.VocabFile
            ?? throw new ArgumentException($"no vocabulary found with the model {source.Path}: pass --set vocab_file=<vocab.txt>");
        // Accents follow the model's tokenizer when the vocabulary is the model's own (strip_accents false: keep them).
        bool stripAccents = config.VocabFile is not null || source.StripAccents is not false;
        var tokenizer = WordPieceTokenizer.FromVocabFile(vocab, config.DoLowerCase, stripAccents, WordPieceTokenizer.ElectraMaxInputCharsPerWord);
        if (tokenizer.VocabSize > source.Config.VocabSize)
            throw new ArgumentException($"{vocab} has {tokenizer.VocabSize} tokens but the model's vocab_size is {source.Config.VocabSize}");
        if (source.LowerCase is { } trained && trained != config.DoLowerCase)
            log?.WriteLine($"warning: do_lower_case is {(config.DoLowerCase ? "true" : "false")} but {source.Path} was trained {(trained ? "lower-cased" : "cased")}");
        // As transformers warns when an input is longer than the tokenizer's model_max_length: allowed, but the
        // position embeddings past it were never trained.
        if (source.ModelMaxLength is { } trainedLength && config.MaxSeqLength > trainedLength)
            log?.WriteLine($"warning: max_seq_length {config.MaxSeqLength} is longer than the {trainedLength} tokens {source.Path} was trained on (model_max_length)");
        if (config.NumThreads > 0) set_num_threads(config.NumThreads);
        NativeHeap.RetainFreedMemory();
        MklVendorCheck.UseFeatureDispatch();
        var device = TorchDevices.Default(config.Device);
        // precision auto becomes fp32 or bf16-mixed on this device; the config every seed records says which and why.
        var precision = PrecisionSelection.Resolve(config.Precision, device);
        config = config.WithPrecision(precision);
        ISeedFinetuner finetuner = task.IsSquad
            ? new SquadFinetuner(task, data, source, tokenizer, config, device, log)
            : new GlueFinetuner(task, data, source, tokenizer, config, device, log);
        // Said once the data has loaded: a run that fails on its input prints its one error line alone.
        log?.WriteLine($"precision: {precision.Description}");
        return new FinetuneExperiment(task, source, config, finetuner, device.ToString(), vocab);
    }

    /// <summary>
    /// Fine-tunes every seed in order and writes the output folder, keeping the fine-tuned models <paramref name="keep"/>
    /// asks for. Cancellation stops between steps and throws.
    /// </summary>
    public FinetuneResults Run(IReadOnlyList<long> seeds, string outDir, Action<FinetuningProgress>? progress = null,
        Action<SeedResult>? seedDone = null, CancellationToken cancellation = default, KeptModels keep = KeptModels.Median)
    {
        if (seeds.Count == 0) throw new ArgumentException("no seeds to run");
        if (seeds.Distinct().Count() != seeds.Count) throw new ArgumentException($"seeds repeat: {string.Join(",", seeds)}");
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(outDir);
        var results = new List<SeedResult>();
        for (int i = 0; i < seeds.Count; i++)
        {
            var dir = SeedFolder(outDir, seeds[i]);
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
            var result = _finetuner.RunSeed(seeds[i], i, seeds.Count, dir, progress, cancellation,
                keep == KeptModels.None ? null : Path.Combine(dir, FinetunedModel.FolderName));
            File.WriteAllText(Path.Combine(dir, "metrics.json"), new JsonObject(result.Metrics.Select(kv =>
                KeyValuePair.Create(kv.Key, kv.Value is { } v && double.IsFinite(v) ? (JsonNode?)v : null))).ToJsonString(new() { WriteIndented = true }));
            results.Add(result);
            seedDone?.Invoke(result);
        }

        var summary = Summarize(results);
        var main = results.Select(r => r.Metrics.GetValueOrDefault(MainMetric) ?? double.NaN).ToList();
        var medianSeed = results[SeedStatistics.MedianIndex(main.Select(v => double.IsNaN(v) ? double.NegativeInfinity : v).ToList())];
        KeepPredictions(outDir, medianSeed, results);
        var (keptModel, seedModels) = KeepModels(outDir, medianSeed, results, keep);

        var output = new FinetuneResults(
            Task.Name, MainMetric, ModelJson(), new JsonObject(DataSummary.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            Config, _device,
            results.Select(r => new SeedScore(r.Seed, r.Metrics, r.Training.Steps,
                double.IsFinite(r.Training.FinalLoss) ? r.Training.FinalLoss : null,
                r.Training.Elapsed.TotalSeconds, r.EvalTime.TotalSeconds)).ToList(),
            summary, medianSeed.Seed, medianSeed.PredictionFiles,
            results.Sum(r => r.Training.Elapsed.TotalSeconds), clock.Elapsed.TotalSeconds, DateTimeOffset.UtcNow, keptModel, seedModels);
        File.WriteAllText(Path.Combine(outDir, FinetuneResults.FileName), output.ToJson());
        return output;
    }

    public static string SeedFolder(string outDir, long seed) => Path.Combine(outDir, "seeds", $"seed-{seed}");

    /// <summary>Median and bootstrap interval of every metric, over the seeds where it is defined.</summary>
    private Dictionary<string, MetricSummary> Summarize(IReadOnlyList<SeedResult> results)
    {
        var summary = new Dictionary<string, MetricSummary>();
        foreach (var key in results.SelectMany(r => r.Metrics.Keys).Distinct())
        {
            var values = results.Select(r => r.Metrics.GetValueOrDefault(key)).OfType<double>().Where(double.IsFinite).ToList();
            summary[key] = values.Count == 0
                ? new MetricSummary(null, null, 0)
                : new MetricSummary(SeedStatistics.Median(values),
                    SeedStatistics.BootstrapMedian(values, Config.BootstrapResamples, Config.BootstrapSeed), values.Count);
        }
        if (!summary.ContainsKey(MainMetric)) summary[MainMetric] = new MetricSummary(null, null, 0);
        return summary;
    }

    /// <summary>Copies the median seed's prediction files to the top of the output folder; every seed keeps only metrics.json.</summary>
    private static void KeepPredictions(string outDir, SeedResult median, IReadOnlyList<SeedResult> all)
    {
        foreach (var file in median.PredictionFiles)
            File.Copy(Path.Combine(SeedFolder(outDir, median.Seed), file), Path.Combine(outDir, file), overwrite: true);
        foreach (var result in all)
            foreach (var file in result.PredictionFiles)
                File.Delete(Path.Combine(SeedFolder(outDir, result.Seed), file));
    }

    /// <summary>
    /// Puts the median seed's model in model/ and keeps or deletes the others; returns the kept folders relative to
    /// <paramref name="outDir"/> (the median's, and per seed when all are kept).
    /// </summary>
    private static (string? Median, IReadOnlyDictionary<string, string>? Seeds) KeepModels(string outDir, SeedResult median,
        IReadOnlyList<SeedResult> all, KeptModels keep)
    {
        var target = Path.Combine(outDir, FinetunedModel.FolderName);
        if (Directory.Exists(target)) Directory.Delete(target, recursive: true);
        if (keep == KeptModels.None) return (null, null);
        var medianModel = Path.Combine(SeedFolder(outDir, median.Seed), FinetunedModel.FolderName);
        if (keep == KeptModels.Median)
        {
            Directory.Move(medianModel, target);
            foreach (var result in all.Where(r => r.Seed != median.Seed))
                Directory.Delete(Path.Combine(SeedFolder(outDir, result.Seed), FinetunedModel.FolderName), recursive: true);
            return (FinetunedModel.FolderName, null);
        }
        Directory.CreateDirectory(target);
        foreach (var file in Directory.GetFiles(medianModel)) File.Copy(file, Path.Combine(target, Path.GetFileName(file)));
        return (FinetunedModel.FolderName, all.ToDictionary(r => r.Seed.ToString(System.Globalization.CultureInfo.InvariantCulture),
            r => Path.GetRelativePath(outDir, Path.Combine(SeedFolder(outDir, r.Seed), FinetunedModel.FolderName))));
    }

    private JsonObject ModelJson() => new()
    {
        ["path"] = Source.Path,
        ["kind"] = Source.Kind,
        ["weights_file"] = Source.WeightsFile,
        ["tensor_prefix"] = Source.TensorPrefix,
        ["vocab_file"] = VocabFile,
        ["config"] = Source.Config.ToJson(),
    };
}
