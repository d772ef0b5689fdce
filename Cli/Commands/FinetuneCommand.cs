// `electralab finetune --task <task> --model <dir> --data <glue-dir or squad-json> [--seeds 1,2,3] [--set key=value ...] --out <dir>`:
// fine-tunes one model on one GLUE or SQuAD task once per seed with the official recipe, prints progress lines,
// then a table of each seed's dev scores and the median with its bootstrap 95% interval. The output folder gets
// results.json, the median seed's prediction files and its fine-tuned model as a Hugging Face folder in model/
// (--keep-all-seeds: every seed's too, in seeds/seed-<n>/model/; --no-model: none). Ctrl+C stops between steps.
using System.CommandLine;
using System.Globalization;
using ElectraLab.Config.Finetuning;
using ElectraLab.Electra.Finetuning;

namespace ElectraLab.Cli.Commands;

public static class FinetuneCommand
{
    public static Command Create()
    {
        var task = new Option<string>("--task") { Description = $"One of {string.Join(", ", FinetuningTask.Names)} (MNLI scores MNLI-m and MNLI-mm; SQuAD1.1/SQuAD2.0 also work).", Required = true };
        var model = new Option<DirectoryInfo>("--model") { Description = "A Hugging Face ELECTRA folder, a pre-training run folder or one checkpoint folder.", Required = true };
        var data = new Option<string>("--data") { Description = "GLUE: the GLUE folder (CoLA/, SST-2/, ...). SQuAD: the dev JSON (training file via --set train_file=...) or a folder with train-/dev-v1.1.json (v2.0).", Required = true };
        var seeds = new Option<string>("--seeds") { Description = "Comma-separated fine-tuning seeds, e.g. 1,2,3 (default: the config's seed)." };
        var sets = new Option<string[]>("--set") { Description = "Override one config key (configure_finetuning.py names): --set learning_rate=1e-4 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var output = new Option<DirectoryInfo>("--out") { Description = "Output folder: results.json, the median seed's predictions and its model (model/).", Required = true };
        var keepAll = new Option<bool>("--keep-all-seeds") { Description = "Keep every seed's fine-tuned model (seeds/seed-<n>/model/), not only the median seed's." };
        var noModel = new Option<bool>("--no-model") { Description = "Keep no fine-tuned model, only scores and predictions." };
        var command = new Command("finetune", "Fine-tune a model on a GLUE or SQuAD task over seeds; report per-seed scores, the median and its bootstrap interval; keep the median seed's model.")
        {
            task, model, data, seeds, sets, output, keepAll, noModel,
        };
        command.SetAction((parse, cancellation) =>
        {
            if (parse.GetValue(keepAll) && parse.GetValue(noModel)) throw new UserInputException("--keep-all-seeds and --no-model contradict each other");
            var keep = parse.GetValue(noModel) ? KeptModels.None : parse.GetValue(keepAll) ? KeptModels.All : KeptModels.Median;
            return Task.FromResult(Run(
                parse.GetRequiredValue(task), parse.GetRequiredValue(model).FullName, parse.GetRequiredValue(data), parse.GetValue(seeds),
                parse.GetValue(sets) ?? [], parse.GetRequiredValue(output).FullName, parse.InvocationConfiguration.Output, parse.InvocationConfiguration.Error,
                cancellation, keep));
        });
        return command;
    }

    public static int Run(string task, string model, string data, string? seedList, string[] sets, string outDir, TextWriter output, TextWriter error,
        CancellationToken cancellation, KeptModels keep = KeptModels.Median)
    {
        var seedsGiven = seedList is null ? null : ParseSeeds(seedList);
        var experiment = FinetuneExperiment.Prepare(task, model, Path.GetFullPath(data), sets, error);
        var seeds = seedsGiven ?? [experiment.Config.Seed];
        var c = experiment.Config;
        output.WriteLine($"fine-tuning {experiment.Task.Name} from {experiment.Source.Describe()}");
        output.WriteLine($"  {seeds.Count} seed{(seeds.Count > 1 ? "s" : "")} ({string.Join(",", seeds)}), lr {c.LearningRate:G3} × layer decay {c.LayerwiseLrDecay}, " +
                         $"{c.NumTrainEpochs:G} epochs, batch {c.TrainBatchSize}, max_seq_length {c.MaxSeqLength}; " +
                         string.Join(", ", experiment.DataSummary.Select(kv => $"{kv.Key} {kv.Value:N0}")));
        FinetuneResults results;
        try
        {
            results = experiment.Run(seeds, outDir,
                p => output.WriteLine(FormatProgress(p)),
                r => output.WriteLine($"seed {r.Seed}: {FormatMetrics(r.Metrics)} (train {r.Training.Elapsed:hh\\:mm\\:ss}, eval {r.EvalTime:hh\\:mm\\:ss})"),
                cancellation, keep);
        }
        catch (OperationCanceledException)
        {
            error.WriteLine("cancelled: no results written for the unfinished seed");
            return 130;
        }
        WriteTable(output, results);
        output.WriteLine($"predictions of seed {results.MedianSeed} (the median by {results.MainMetric}): {string.Join(", ", results.PredictionFiles)}; results: {Path.Combine(outDir, FinetuneResults.FileName)}");
        if (results.KeptModel is { } kept)
            output.WriteLine($"model of seed {results.MedianSeed} (Hugging Face folder): {Path.Combine(outDir, kept)}" +
                             (results.KeptSeedModels is { } all ? $"; every seed's: {string.Join(", ", all.Values.Select(p => Path.Combine(outDir, p)))}" : ""));
        return 0;
    }

    /// <summary>"1,2,3" → [1, 2, 3]; anything else is a one-line error.</summary>
    public static IReadOnlyList<long> ParseSeeds(string text)
    {
        var seeds = new List<long>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!long.TryParse(part, NumberStyles.Integer, CultureInfo.InvariantCulture, out var seed))
                throw new UserInputException($"--seeds '{text}': '{part}' is not an integer (expected e.g. 1,2,3)");
            if (seeds.Contains(seed)) throw new UserInputException($"--seeds '{text}': seed {seed} is listed twice");
            seeds.Add(seed);
        }
        return seeds;
    }

    private static string FormatProgress(FinetuningProgress p) => p.Phase == "train"
        ? $"seed {p.Seed} [{p.SeedIndex + 1}/{p.SeedCount}] step {p.Step}/{p.TotalSteps} | loss {p.Loss:F4} | lr {p.LearningRate:E2} | {p.ExamplesPerSecond:N0} ex/s | {p.Elapsed:hh\\:mm\\:ss}"
        : $"seed {p.Seed} [{p.SeedIndex + 1}/{p.SeedCount}] evaluated {p.Step:N0} inputs | {p.ExamplesPerSecond:N0} inputs/s";

    private static string FormatMetrics(IReadOnlyDictionary<string, double?> metrics) =>
        string.Join(", ", metrics.Select(kv => $"{kv.Key} {Value(kv.Value)}"));

    private static string Value(double? v) => v is { } x ? x.ToString("0.0000", CultureInfo.InvariantCulture) : "undefined";

    /// <summary>One row per seed, then the median and its interval, over the main metric and the task's other scores.</summary>
    private static void WriteTable(TextWriter output, FinetuneResults results)
    {
        var columns = new List<string> { results.MainMetric };
        columns.AddRange(results.Summary.Keys.Where(k => k != results.MainMetric && k != "null_threshold" && !k.StartsWith("best_", StringComparison.Ordinal)).Take(5));
        output.WriteLine();
        output.WriteLine(string.Join("  ", columns.Prepend("seed").Select(h => h.PadLeft(12))));
        foreach (var seed in results.Seeds)
            output.WriteLine(string.Join("  ", columns.Select(k => Value(seed.Metrics.GetValueOrDefault(k)).PadLeft(12)).Prepend(seed.Seed.ToString(CultureInfo.InvariantCulture).PadLeft(12))));
        output.WriteLine(string.Join("  ", columns.Select(k => Value(results.Summary[k].Median).PadLeft(12)).Prepend("median".PadLeft(12))));
        if (results.Interval is { } ci)
            output.WriteLine($"{results.MainMetric}: median {Value(results.Median)}, {ci.Level * 100:0}% interval [{Value(ci.Low)}, {Value(ci.High)}] " +
                             $"(percentile bootstrap of the median over {results.Seeds.Count} seeds, {ci.Resamples} resamples, RNG seed {ci.RngSeed})");
    }
}
