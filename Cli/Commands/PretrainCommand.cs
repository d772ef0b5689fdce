// `electralab pretrain --config <file> --out <dir> [--set key=value ...]`: pre-trains on a dataset folder,
// printing a progress line and periodic metric lines, writing checkpoints into <dir>; when <dir> already holds a
// checkpoint the run resumes from the latest one. Ctrl+C stops between steps and saves a checkpoint. A finished run
// leaves hf/discriminator and hf/generator: Hugging Face folders with the model and its tokenizer files.
using System.CommandLine;
using System.Diagnostics;
using System.Text.Json.Nodes;
using ElectraLab.Electra;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Electra.Pretraining;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using ElectraLab.Config;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Cli.Commands;

public static class PretrainCommand
{
    public const string ConfigFile = "pretraining_config.json";

    public static Command Create()
    {
        var config = new Option<FileInfo>("--config") { Description = "Pre-training config (JSON or YAML; official configure_pretraining.py key names)." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Run folder: checkpoints, metrics.jsonl, exported models.", Required = true };
        var sets = new Option<string[]>("--set") { Description = "Override one key: --set learning_rate=1e-4 (repeatable).", AllowMultipleArgumentsPerToken = false };
        var steps = new Option<long?>("--until-step") { Description = "Stop after this step (default: num_train_steps)." };
        var command = new Command("pretrain", "Pre-train an ELECTRA model (or a baseline objective) on a prepared dataset.") { config, output, sets, steps };
        command.SetAction((parse, cancellation) => Task.FromResult(Run(
            parse.GetValue(config)?.FullName, parse.GetRequiredValue(output).FullName, parse.GetValue(sets) ?? [],
            parse.GetValue(steps), parse.InvocationConfiguration.Output, cancellation)));
        return command;
    }

    public static int Run(string? configFile, string outDir, string[] sets, long? untilStep, TextWriter output, CancellationToken cancellation)
    {
        var config = ResolveConfig(configFile, outDir, sets);
        if (config.DataDir is null) throw new UserInputException("config key 'data_dir' is required: a folder written by `electralab data prepare`");
        var dataset = PretrainingDataset.Load(config.DataDir);
        if (dataset.MaxSeqLength != config.MaxSeqLength)
            throw new UserInputException($"config key 'max_seq_length' is {config.MaxSeqLength} but the dataset was built with {dataset.MaxSeqLength}");
        if (dataset.VocabSize != config.VocabSize)
            throw new UserInputException($"config key 'vocab_size' is {config.VocabSize} but the dataset's vocabulary has {dataset.VocabSize} tokens");
        dataset.VerifyShards(config.DataDir);

        Directory.CreateDirectory(outDir);
        File.WriteAllText(Path.Combine(outDir, ConfigFile), config.ToJson());
        var special = DatasetBatchSource.SpecialTokensOf(config.DataDir);
        var device = TorchDevices.Default(config.Device);
        using var trainer = new Pretrainer(config, DatasetBatchSource.Factory(config.DataDir, config.TrainBatchSize, config.Seed), special, device);
        var latest = PretrainingCheckpoint.Latest(outDir);
        if (latest is not null)
        {
            trainer.LoadCheckpoint(latest);
            output.WriteLine($"resuming from {latest} (step {trainer.Step})");
        }
        long end = Math.Min(untilStep ?? config.NumTrainSteps, config.NumTrainSteps);
        output.WriteLine($"pre-training {config.Objective} ({config.ModelSize}, generator {config.GeneratorHiddenSize:0.###}, sharing {config.WeightSharing}) " +
                         $"on {device}: steps {trainer.Step}→{end}, batch {config.TrainBatchSize}×{config.MaxSeqLength}, {dataset.ExampleCount:N0} examples");
        output.WriteLine($"precision: {trainer.PrecisionDescription}");

        using var metricsLog = new StreamWriter(Path.Combine(outDir, "metrics.jsonl"), append: true);
        bool interactive = !Console.IsOutputRedirected && ReferenceEquals(output, Console.Out);
        var progress = new ProgressLine(output, trainer.Step, end);
        var observer = new ConsoleObserver(output, metricsLog, progress, end, interactive);
        var clock = Stopwatch.StartNew();
        // The one pre-training loop (the silo's workers run the same); Ctrl+C stops it between steps and it keeps its progress.
        var result = new PretrainingRun(trainer, new PretrainingRunOptions(outDir, untilStep), observer).Run(cancellation);
        progress.Clear();
        var saved = result.LastCheckpoint ?? PretrainingCheckpoint.Latest(outDir);
        if (trainer.Step >= config.NumTrainSteps)
        {
            PretrainedHfExport.Write(trainer, Path.Combine(outDir, "hf"), config.DataDir, dataset, config.MaxSeqLength);
            output.WriteLine($"done: step {trainer.Step}, {trainer.TrainFlops:E3} train FLOPs, {clock.Elapsed:hh\\:mm\\:ss}; discriminator at {Path.Combine(outDir, "hf", "discriminator")}");
        }
        else
        {
            output.WriteLine($"stopped at step {trainer.Step}; checkpoint {saved}; run the same command to resume");
        }
        return 0;
    }

    /// <summary>Defaults → file → --set; a run folder that already has a config must agree with it.</summary>
    private static PretrainingConfig ResolveConfig(string? configFile, string outDir, string[] sets)
    {
        var config = LoadConfig(configFile, sets);
        var savedPath = Path.Combine(outDir, ConfigFile);
        if (File.Exists(savedPath) && PretrainingCheckpoint.Latest(outDir) is not null)
        {
            PretrainingConfig saved;
            try { saved = PretrainingConfigLoader.FromJson(File.ReadAllText(savedPath)); }
            catch (System.Text.Json.JsonException e) { throw JsonFiles.NotJson(savedPath, e); }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidDataException($"{savedPath}: not a readable saved config ({UserError.Describe(e)}); use a new --out to start another run", e);
            }
            var a = JsonNode.Parse(saved.ToJson())!.AsObject();
            var b = JsonNode.Parse(config.ToJson())!.AsObject();
            var differing = a.Where(kv => !JsonNode.DeepEquals(kv.Value, b[kv.Key])).Select(kv => kv.Key).ToList();
            if (differing.Count > 0)
                throw new UserInputException($"{outDir} holds a run with a different config ({string.Join(", ", differing)}); use a new --out to start another run");
        }
        return config;
    }

    // PretrainingConfigLoader turns YAML into a tree recursively: a file nested thousands deep overflows the stack
    // (which no catch survives), aliases can expand without bound, and a non-scalar key escapes as a cast error.
    // Until the loader limits this itself, the CLI checks a YAML file's structure first, event by event with no
    // recursion, and names the file in any failure the loader still reports as a bug.
    internal const int MaxConfigDepth = 32;

    internal static PretrainingConfig LoadConfig(string? file, string[] sets)
    {
        if (file is not null && Path.GetExtension(file).ToLowerInvariant() is ".yaml" or ".yml" && File.Exists(file)) CheckYaml(file);
        try
        {
            return PretrainingConfigLoader.Load(file, sets);
        }
        catch (InvalidDataException e) when (file is not null && e.InnerException is System.Text.Json.JsonException json)
        {
            throw JsonFiles.NotJson(file, json);
        }
        catch (Exception e) when (!UserError.IsUserError(e) && e is not OperationCanceledException)
        {
            throw new InvalidDataException($"{file ?? "--set"}: cannot read the config ({UserError.Describe(e)})", e);
        }
    }

    private static void CheckYaml(string file)
    {
        using var reader = new StreamReader(file);
        var parser = new Parser(reader);
        // One entry per open mapping or sequence: whether it is a mapping whose next node is a key.
        var open = new Stack<(bool Mapping, bool ExpectKey)>();
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                if (current is MappingEnd or SequenceEnd)
                {
                    open.Pop();
                    continue;
                }
                if (current is not (NodeEvent or AnchorAlias)) continue;
                string where = $"{file}: line {current.Start.Line}, column {current.Start.Column}";
                if (current is AnchorAlias) throw new InvalidDataException($"{where}: aliases (*name) are not supported in a config");
                if (open.TryPeek(out var top) && top.Mapping)
                {
                    if (top.ExpectKey && current is not YamlDotNet.Core.Events.Scalar) throw new InvalidDataException($"{where}: a config key must be a plain name");
                    open.Pop();
                    open.Push((true, !top.ExpectKey));
                }
                if (current is MappingStart or SequenceStart)
                {
                    if (open.Count >= MaxConfigDepth) throw new InvalidDataException($"{where}: nested deeper than {MaxConfigDepth} levels");
                    open.Push((current is MappingStart, true));
                }
            }
        }
        catch (YamlException e)
        {
            throw new InvalidDataException($"{file}: line {e.Start.Line}, column {e.Start.Column}: {e.Message}", e);
        }
    }

    /// <summary>The terminal's view of a run: a progress bar, a metric line per log interval, metrics.jsonl.</summary>
    private sealed class ConsoleObserver(TextWriter output, StreamWriter metricsLog, ProgressLine progress, long end, bool interactive)
        : IPretrainingObserver
    {
        public void Progress(long step, double trainFlops)
        {
            if (interactive) progress.Update(step);
        }

        public void Metrics(TrainingMetrics m)
        {
            progress.Clear();
            output.WriteLine(Format(m, end, progress.Eta(m.Step)));
            metricsLog.WriteLine(new JsonObject(m.AsPairs().Select(p => KeyValuePair.Create(p.Key, (JsonNode?)p.Value))
                .Prepend(KeyValuePair.Create("step", (JsonNode?)m.Step))).ToJsonString());
            metricsLog.Flush();
        }

        public void CheckpointSaved(string folder, long step, CheckpointKind kind) => progress.Clear();
    }

    private static string Format(TrainingMetrics m, long end, TimeSpan? eta) =>
        $"step {m.Step}/{end} | mlm_loss {m.MlmLoss:F4} | disc_loss {m.DiscLoss:F4}" +
        (m.DiscPriorGap is { } gap ? $" (prior gap {gap:F4})" : "") + $" | gen_acc {m.GeneratorAccuracy:F3} | " +
        $"disc_acc {m.DiscAccuracy:F3} p {m.DiscPrecision:F3} r {m.DiscRecall:F3} | lr {m.LearningRate:E2} | " +
        $"{m.TokensPerSecond:N0} tok/s | {m.TrainFlops:E2} FLOPs" + (eta is { } e ? $" | ETA {e:hh\\:mm\\:ss}" : "");
}

/// <summary>A one-line progress bar redrawn in place: [#####.....] step/total, rate, ETA.</summary>
public sealed class ProgressLine(TextWriter output, long start, long end)
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private bool _drawn;

    public TimeSpan? Eta(long step)
    {
        double done = step - start;
        if (done <= 0) return null;
        return TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / done * (end - step));
    }

    public void Update(long step)
    {
        double fraction = end > start ? (double)(step - start) / (end - start) : 1;
        int filled = (int)(fraction * 30);
        output.Write($"\r[{new string('#', filled)}{new string('.', 30 - filled)}] {step}/{end} {fraction:P0} ETA {Eta(step):hh\\:mm\\:ss}   ");
        _drawn = true;
    }

    public void Clear()
    {
        if (!_drawn) return;
        output.Write("\r" + new string(' ', 80) + "\r");
        _drawn = false;
    }
}
