using System.Buffers.Binary;
using System.Diagnostics;
using ElectraLab.Cli;
using ElectraLab.Cli.Commands;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests;

/// <summary>
/// The CLI's promise for every local command: bad input (missing, empty, truncated, corrupt or mistyped files, bad
/// option values, unknown names) gives exactly one line, starting "error: ", that names the file, key or value,
/// and exit code 1; never a stack trace, never help text. Every case runs in-process through <see cref="CliApp.Run"/>
/// (a process start per case would cost ~0.5 s each); a representative subset, and the cases that once killed the
/// process outright (a YAML config nested deep enough to overflow the stack), run as a real `dotnet electralab.dll`
/// process, so Main, the console writers and the exit code are covered too.
/// </summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class CliBadInputTests
{
    /// <summary>One bad input: the arguments, and a text the error line must contain (a path, key or value).</summary>
    private sealed record BadInput(Func<Workspace, string[]> Args, Func<Workspace, string> Names, bool ProcessOnly = false);

    private static readonly Dictionary<string, BadInput> Cases = new()
    {
        // vocab train
        ["vocab-missing-input"] = new(w => ["vocab", "train", "--input", w.Path("nope.txt"), "--out", w.Fresh("v.txt")], w => w.Path("nope.txt")),
        ["vocab-empty-input"] = new(w => ["vocab", "train", "--input", w.EmptyFile, "--out", w.Fresh("v.txt")], w => w.EmptyFile),
        ["vocab-empty-folder"] = new(w => ["vocab", "train", "--input", w.EmptyFolder, "--out", w.Fresh("v.txt")], w => w.EmptyFolder),
        ["vocab-negative-size"] = new(w => ["vocab", "train", "--input", w.Text, "--size", "-5", "--out", w.Fresh("v.txt")], _ => "-5"),
        ["vocab-size-not-a-number"] = new(w => ["vocab", "train", "--input", w.Text, "--size", "abc", "--out", w.Fresh("v.txt")], _ => "'abc'"),
        ["vocab-out-is-a-folder"] = new(w => ["vocab", "train", "--input", w.Text, "--out", w.EmptyFolder], w => w.EmptyFolder),
        ["vocab-unknown-option"] = new(w => ["vocab", "train", "--input", w.Text, "--out", w.Fresh("v.txt"), "--bogus"], _ => "'--bogus'"),
        ["vocab-no-subcommand"] = new(_ => ["vocab"], _ => "electralab vocab"),

        // data prepare / download
        ["prepare-missing-input"] = new(w => ["data", "prepare", "--input", w.Path("nope.txt"), "--vocab", w.Vocab, "--out", w.Fresh("d")], w => w.Path("nope.txt")),
        ["prepare-missing-vocab"] = new(w => ["data", "prepare", "--input", w.Text, "--vocab", w.Path("nope-vocab.txt"), "--out", w.Fresh("d")], w => w.Path("nope-vocab.txt")),
        ["prepare-vocab-is-a-folder"] = new(w => ["data", "prepare", "--input", w.Text, "--vocab", w.EmptyFolder, "--out", w.Fresh("d")], w => w.EmptyFolder),
        ["prepare-empty-vocab"] = new(w => ["data", "prepare", "--input", w.Text, "--vocab", w.EmptyFile, "--out", w.Fresh("d")], w => w.EmptyFile),
        ["prepare-zero-seq-length"] = new(w => ["data", "prepare", "--input", w.Text, "--vocab", w.Vocab, "--out", w.Fresh("d"), "--max-seq-length", "0"], _ => "max_seq_length"),
        ["prepare-zero-shard-size"] = new(w => ["data", "prepare", "--input", w.Text, "--vocab", w.Vocab, "--out", w.Fresh("d"), "--shard-size", "0"], _ => "shard size"),
        ["prepare-negative-seed"] = new(w => ["data", "prepare", "--input", w.Text, "--vocab", w.Vocab, "--out", w.Fresh("d"), "--seed", "-1"], _ => "-1"),
        ["prepare-seed-not-a-number"] = new(w => ["data", "prepare", "--input", w.Text, "--vocab", w.Vocab, "--out", w.Fresh("d"), "--seed", "x"], _ => "'x'"),
        ["prepare-out-is-a-file"] = new(w => ["data", "prepare", "--input", w.Text, "--vocab", w.Vocab, "--out", w.Text], w => w.Text),
        ["prepare-no-vocab-option"] = new(w => ["data", "prepare", "--input", w.Text, "--out", w.Fresh("d")], _ => "--vocab"),
        ["download-unknown-dataset"] = new(w => ["data", "download", "bogus", "--out", w.Fresh("dl")], _ => "'bogus'"),
        ["download-no-out"] = new(_ => ["data", "download", "glue"], _ => "--out"),

        // pretrain: the config file
        ["pretrain-yaml-unclosed-flow"] = new(w => ["pretrain", "--config", w.Write("unclosed.yaml", "model_size: [small"), "--out", w.Fresh("r")], w => w.Path("unclosed.yaml")),
        ["pretrain-yaml-complex-key"] = new(w => ["pretrain", "--config", w.Write("key.yaml", "? [a]\n: b\n"), "--out", w.Fresh("r")], w => w.Path("key.yaml")),
        ["pretrain-yaml-alias"] = new(w => ["pretrain", "--config", w.Write("alias.yaml", "a: &x [*x]\n"), "--out", w.Fresh("r")], w => w.Path("alias.yaml")),
        ["pretrain-yaml-list"] = new(w => ["pretrain", "--config", w.Write("list.yaml", "- 1\n- 2\n"), "--out", w.Fresh("r")], w => w.Path("list.yaml")),
        ["pretrain-yaml-deep"] = new(w => ["pretrain", "--config", w.Write("deep.yaml", "model_size: " + new string('[', 100_000)), "--out", w.Fresh("r")],
            w => w.Path("deep.yaml"), ProcessOnly: true),
        ["pretrain-json-truncated"] = new(w => ["pretrain", "--config", w.Write("cut.json", "{\"learning_rate\": "), "--out", w.Fresh("r")], w => w.Path("cut.json")),
        ["pretrain-json-empty"] = new(w => ["pretrain", "--config", w.Write("empty-config.json", ""), "--out", w.Fresh("r")], w => w.Path("empty-config.json")),
        ["pretrain-config-missing"] = new(w => ["pretrain", "--config", w.Path("nope.yaml"), "--out", w.Fresh("r")], w => w.Path("nope.yaml")),
        ["pretrain-config-is-a-folder"] = new(w => ["pretrain", "--config", w.EmptyFolder, "--out", w.Fresh("r")], w => w.EmptyFolder),
        ["pretrain-set-without-value"] = new(w => ["pretrain", "--out", w.Fresh("r"), "--set", "learning_rate"], _ => "learning_rate"),
        ["pretrain-set-unknown-key"] = new(w => ["pretrain", "--out", w.Fresh("r"), "--set", "bogus_key=1"], _ => "'bogus_key'"),
        ["pretrain-set-wrong-type"] = new(w => ["pretrain", "--out", w.Fresh("r"), "--set", "learning_rate=abc"], _ => "'learning_rate'"),
        ["pretrain-set-negative-steps"] = new(w => ["pretrain", "--out", w.Fresh("r"), "--set", "num_train_steps=-5"], _ => "'num_train_steps'"),
        ["pretrain-set-unknown-precision"] = new(w => ["pretrain", "--out", w.Fresh("r"), "--set", "precision=fp16"], _ => "'precision': 'fp16' is not one of auto, fp32, bf16-mixed"),
        ["pretrain-until-step-not-a-number"] = new(w => ["pretrain", "--out", w.Fresh("r"), "--until-step", "x"], _ => "'x'"),
        ["pretrain-saved-config-corrupt"] = new(w => ["pretrain", "--out", w.RunWithCorruptSavedConfig(), "--set", $"data_dir={w.Dataset}"], _ => PretrainCommand.ConfigFile),

        // pretrain: the dataset folder
        ["pretrain-data-dir-missing"] = new(w => ["pretrain", "--out", w.Fresh("r"), "--set", $"data_dir={w.Path("no-dataset")}"], w => w.Path("no-dataset")),
        ["pretrain-dataset-json-corrupt"] = new(w => ["pretrain", "--out", w.Fresh("r"), "--set", $"data_dir={w.DatasetWithManifest("{\"format_version\": 1,")}"],
            _ => PretrainingDataset.ManifestFile),
        ["pretrain-dataset-json-empty"] = new(w => ["pretrain", "--out", w.Fresh("r"), "--set", $"data_dir={w.DatasetWithManifest("")}"], _ => PretrainingDataset.ManifestFile),
        ["pretrain-dataset-json-wrong-type"] = new(w => ["pretrain", "--out", w.Fresh("r"), "--set", $"data_dir={w.DatasetWithManifest("{\"format_version\": 1, \"max_seq_length\": \"long\"}")}"],
            _ => "'max_seq_length'"),
        ["pretrain-shard-offset-overflow"] = new(w => w.PretrainArgs(w.DatasetWithCorruptShards(CorruptIndexEntry)), _ => ".elshard"),
        ["pretrain-shard-count-overflow"] = new(w => w.PretrainArgs(w.DatasetWithCorruptShards(CorruptExampleCount)), _ => ".elshard"),
        ["pretrain-shard-missing"] = new(w => w.PretrainArgs(w.DatasetWithoutAShard()), _ => ".elshard"),
        ["pretrain-shard-truncated"] = new(w => w.PretrainArgs(w.DatasetWithCorruptShards(bytes => bytes[..100])), _ => ".elshard"),

        // finetune
        ["finetune-unknown-task"] = new(w => ["finetune", "--task", "Bogus", "--model", w.Hf, "--data", w.Glue, "--out", w.Fresh("f")], _ => "'Bogus'"),
        ["finetune-seeds-not-numbers"] = new(w => ["finetune", "--task", "MRPC", "--model", w.Hf, "--data", w.Glue, "--out", w.Fresh("f"), "--seeds", "a,b"], _ => "'a'"),
        ["finetune-seed-twice"] = new(w => ["finetune", "--task", "MRPC", "--model", w.Hf, "--data", w.Glue, "--out", w.Fresh("f"), "--seeds", "1,1"], _ => "'1,1'"),
        ["finetune-model-missing"] = new(w => ["finetune", "--task", "MRPC", "--model", w.Path("no-model"), "--data", w.Glue, "--out", w.Fresh("f")], w => w.Path("no-model")),
        ["finetune-model-config-corrupt"] = new(w => ["finetune", "--task", "MRPC", "--model", w.HfWithConfig("{\"hidden_size\": "), "--data", w.Glue, "--out", w.Fresh("f")],
            _ => "config.json"),
        ["finetune-model-weights-truncated"] = new(w => ["finetune", "--task", "MRPC", "--model", w.HfWithWeights(b => b[..4]), "--data", w.Glue,
            "--out", w.Fresh("f"), "--set", "max_seq_length=64"], _ => "model.safetensors"),
        ["finetune-set-wrong-type"] = new(w => ["finetune", "--task", "MRPC", "--model", w.Hf, "--data", w.Glue, "--out", w.Fresh("f"), "--set", "learning_rate=abc"],
            _ => "'learning_rate'"),
        ["finetune-set-unknown-key"] = new(w => ["finetune", "--task", "MRPC", "--model", w.Hf, "--data", w.Glue, "--out", w.Fresh("f"), "--set", "bogus_key=1"],
            _ => "'bogus_key'"),
        ["finetune-set-unknown-precision"] = new(w => ["finetune", "--task", "MRPC", "--model", w.Hf, "--data", w.Glue, "--out", w.Fresh("f"), "--set", "precision=int8"],
            _ => "'int8' is not one of auto, fp32, bf16-mixed"),

        ["finetune-glue-folder-missing"] = new(w => [.. w.FinetuneArgs("MRPC", w.Path("no-glue")), "--out", w.Fresh("f")], w => w.Path("no-glue")),
        ["finetune-squad-train-corrupt"] = new(w => [.. w.FinetuneArgs("SQuAD1.1", w.SquadV1), "--set", $"train_file={w.Write("cut-train.json", "{\"data\": [")}", "--out", w.Fresh("f")],
            w => w.Path("cut-train.json")),
        ["finetune-squad-train-wrong-type"] = new(w => [.. w.FinetuneArgs("SQuAD1.1", w.SquadV1), "--set", $"train_file={w.Write("num-train.json", "{\"data\": [{\"paragraphs\": 7}]}")}",
            "--out", w.Fresh("f")], w => w.Path("num-train.json")),
        ["finetune-checkpoint-state-corrupt"] = new(w => [.. w.FinetuneArgs("MRPC", w.Glue, w.CheckpointWithState("{bad")), "--out", w.Fresh("f")], _ => "state.json"),

        // eval glue
        ["glue-unknown-task"] = new(w => ["eval", "glue", "--task", "Bogus", "--data-dir", w.Glue, "--predictions", w.EmptyFile], _ => "'Bogus'"),
        ["glue-data-dir-missing"] = new(w => ["eval", "glue", "--task", "MRPC", "--data-dir", w.Path("no-glue"), "--predictions", w.EmptyFile], w => w.Path("no-glue")),
        ["glue-predictions-missing"] = new(w => ["eval", "glue", "--task", "MRPC", "--data-dir", w.Glue, "--predictions", w.Path("nope.tsv")], w => w.Path("nope.tsv")),
        ["glue-predictions-empty"] = new(w => ["eval", "glue", "--task", "MRPC", "--data-dir", w.Glue, "--predictions", w.EmptyFile], w => w.EmptyFile),
        ["glue-predictions-is-a-folder"] = new(w => ["eval", "glue", "--task", "MRPC", "--data-dir", w.Glue, "--predictions", w.EmptyFolder], w => w.EmptyFolder),

        // eval squad
        ["squad-predictions-corrupt"] = new(w => ["eval", "squad", "--dataset", w.SquadV1, "--predictions", w.Write("cut-pred.json", "{\"a\": ")], w => w.Path("cut-pred.json")),
        ["squad-predictions-empty"] = new(w => ["eval", "squad", "--dataset", w.SquadV1, "--predictions", w.Write("empty-pred.json", "")], w => w.Path("empty-pred.json")),
        ["squad-predictions-wrong-type"] = new(w => ["eval", "squad", "--dataset", w.SquadV1, "--predictions", w.Write("num-pred.json", "{\"q1\": 5}")], w => w.Path("num-pred.json")),
        ["squad-predictions-is-a-folder"] = new(w => ["eval", "squad", "--dataset", w.SquadV1, "--predictions", w.EmptyFolder], w => w.EmptyFolder),
        ["squad-dataset-corrupt"] = new(w => ["eval", "squad", "--dataset", w.Write("cut-squad.json", "{\"data\": ["), "--predictions", w.EmptyFile], w => w.Path("cut-squad.json")),
        ["squad-dataset-wrong-nested-type"] = new(w => ["eval", "squad", "--dataset", w.Write("nested.json", "{\"data\": [{\"paragraphs\": 7}]}"), "--predictions", w.EmptyFile],
            w => w.Path("nested.json")),
        ["squad-dataset-missing"] = new(w => ["eval", "squad", "--dataset", w.Path("nope-squad.json"), "--predictions", w.EmptyFile], w => w.Path("nope-squad.json")),
        ["squad-threshold-not-a-number"] = new(w => ["eval", "squad", "--dataset", w.SquadV1, "--predictions", w.EmptyFile, "--na-prob-thresh", "abc"], _ => "'abc'"),
        ["squad-na-prob-on-v1"] = new(w => ["eval", "squad", "--dataset", w.SquadV1, "--predictions", w.Write("ok-pred.json", "{}"), "--na-prob", w.EmptyFile], _ => "--na-prob"),

        // import-hf, export-hf, inspect
        ["import-missing-folder"] = new(w => ["import-hf", w.Path("no-hf"), "--out", w.Fresh("m")], w => w.Path("no-hf")),
        ["import-config-corrupt"] = new(w => ["import-hf", w.HfWithConfig("{\"hidden_size\": "), "--out", w.Fresh("m")], _ => "config.json"),
        ["import-config-not-an-object"] = new(w => ["import-hf", w.HfWithConfig("[1]"), "--out", w.Fresh("m")], _ => "config.json"),
        ["import-architecture-not-a-name"] = new(w => ["import-hf", w.HfWithConfigEdit(c => c.Replace("\"ElectraForPreTraining\"", "7")), "--out", w.Fresh("m")], _ => "architectures"),
        ["import-out-is-a-file"] = new(w => ["import-hf", w.Hf, "--out", w.Text], w => w.Text),
        ["export-weights-truncated"] = new(w => ["export-hf", w.HfWithWeights(b => b[..4]), "--out", w.Fresh("e")], _ => "model.safetensors"),
        ["export-weights-header-corrupt"] = new(w => ["export-hf", w.HfWithWeights(b => b[..100]), "--out", w.Fresh("e")], _ => "model.safetensors"),
        ["inspect-weights-empty"] = new(w => ["inspect", w.HfWithWeights(_ => [])], _ => "model.safetensors"),
        ["inspect-weights-wrong-types"] = new(w => ["inspect", w.HfWithWeights(_ => Safetensors("{\"a\": 5}"))], _ => "'a'"),
        ["inspect-weights-shape-overflow"] = new(w => ["inspect", w.HfWithWeights(_ => Safetensors("{\"a\": {\"dtype\": \"F32\", \"shape\": [4611686018427387904, 4], \"data_offsets\": [0, 0]}}"))],
            _ => "'a'"),
        ["inspect-weights-unknown-dtype"] = new(w => ["inspect", w.HfWithWeights(_ => Safetensors("{\"a\": {\"dtype\": \"Q99\", \"shape\": [1], \"data_offsets\": [0, 0]}}"))],
            _ => "'Q99'"),
        ["inspect-weights-missing"] = new(w => ["inspect", w.HfWithWeights(null)], _ => "model.safetensors"),
        ["inspect-config-wrong-type"] = new(w => ["inspect", w.HfWithConfigEdit(c => c.Replace("\"hidden_size\": 32", "\"hidden_size\": \"big\""))], _ => "'hidden_size'"),
        ["inspect-not-a-folder"] = new(w => ["inspect", w.Text], w => w.Text),

        // selfcheck, bench, the root
        ["selfcheck-work-is-a-file"] = new(w => ["selfcheck", "--work", w.Text], w => w.Text),
        ["bench-unknown-device"] = new(_ => ["bench", "pretrain", "--device", "tpu", "--steps", "1"], _ => "'tpu'"),
        ["bench-unknown-preset"] = new(_ => ["bench", "pretrain", "--preset", "huge", "--steps", "1"], _ => "'huge'"),
        ["bench-batch-not-a-number"] = new(_ => ["bench", "pretrain", "--batch", "abc"], _ => "'abc'"),
        ["bench-negative-batch"] = new(_ => ["bench", "pretrain", "--batch", "-1", "--steps", "1"], _ => "train_batch_size"),
        ["bench-unknown-precision"] = new(_ => ["bench", "pretrain", "--precision", "fp16", "--steps", "1"], _ => "'fp16' is not one of auto, fp32, bf16-mixed"),
        ["bench-finetune-unknown-task"] = new(_ => ["bench", "finetune", "--task", "cola", "--steps", "1"], _ => "'cola'"),
        ["bench-finetune-unknown-precision"] = new(_ => ["bench", "finetune", "--precision", "half", "--steps", "1"], _ => "'half' is not one of auto, fp32, bf16-mixed"),
        ["bench-finetune-zero-steps"] = new(_ => ["bench", "finetune", "--steps", "0"], _ => "--steps"),
        ["bench-finetune-seq-too-long"] = new(_ => ["bench", "finetune", "--seq", "1024", "--steps", "1"], _ => "--seq"),
        ["unknown-command"] = new(_ => ["bogus"], _ => "'bogus'"),
        ["unknown-root-option"] = new(_ => ["--bogus"], _ => "'--bogus'"),
    };

    /// <summary>The cases that also run as a process: one or more per kind of reader, and the former crashes.</summary>
    private static readonly string[] ProcessCases =
    [
        "pretrain-yaml-deep", "pretrain-yaml-complex-key", "pretrain-shard-offset-overflow", "pretrain-dataset-json-corrupt",
        "squad-predictions-corrupt", "squad-dataset-corrupt", "import-config-corrupt", "inspect-weights-empty", "vocab-unknown-option",
        "finetune-seeds-not-numbers",
    ];

    public static TheoryData<string> InProcess() => new(Cases.Where(c => !c.Value.ProcessOnly).Select(c => c.Key));

    public static TheoryData<string> AsProcess() => new(ProcessCases);

    [Fact]
    public void TheTable_CoversEveryLocalCommandWithAtLeastFiftyInputs()
    {
        Assert.True(Cases.Count >= 50, $"{Cases.Count} cases");
        var commands = Cases.Values.Select(c => string.Join(' ', c.Args(Workspace.Instance).TakeWhile(a => !a.StartsWith('-') && !a.StartsWith('/')).Take(2))).ToHashSet();
        foreach (var command in new[] { "vocab train", "data prepare", "data download", "pretrain", "finetune", "eval glue", "eval squad", "import-hf", "export-hf", "inspect", "selfcheck", "bench pretrain", "bench finetune" })
            Assert.Contains(commands, c => c.StartsWith(command, StringComparison.Ordinal));
        Assert.All(ProcessCases, name => Assert.True(Cases.ContainsKey(name), name));
    }

    [Fact]
    public void UnexpectedException_IsOneLineWithItsType_UserErrorsLoseCSharpParameterNames()
    {
        Assert.Equal("unexpected InvalidCastException: bad cast (set ELECTRALAB_DEBUG=1 for the stack trace)",
            UserError.Describe(new InvalidCastException("bad cast")));
        Assert.Equal("max_seq_length must be in [5, 65535] (got 0)",
            UserError.Describe(new ArgumentOutOfRangeException("options", 0, "max_seq_length must be in [5, 65535]")));
        Assert.Equal("a.json: bad", UserError.Describe(UserError.Unwrap(new AggregateException(new InvalidDataException("a.json: bad")))));
        Assert.Equal("two lines", UserError.Describe(new IOException("two\nlines")));
    }

    [Theory, MemberData(nameof(InProcess))]
    public void BadInput_InProcess_OneErrorLineNamingIt(string name)
    {
        var w = Workspace.Instance;
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(Cases[name].Args(w), output, error);
        AssertOneErrorLine(code, output.ToString(), error.ToString(), Cases[name].Names(w));
    }

    [Theory, MemberData(nameof(AsProcess))]
    public async Task BadInput_AsProcess_OneErrorLineNamingIt(string name)
    {
        var w = Workspace.Instance;
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = w.Root };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, "electralab.dll"));
        foreach (var arg in Cases[name].Args(w)) info.ArgumentList.Add(arg);
        info.Environment.Remove("ELECTRALAB_DEBUG");
        using var process = Process.Start(info)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(120));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            Assert.Fail($"{name}: still running after 120 s");
        }
        AssertOneErrorLine(process.ExitCode, await output, await error, Cases[name].Names(w));
    }

    private static void AssertOneErrorLine(int code, string output, string error, string names)
    {
        var all = output + error;
        var lines = all.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.True(code == 1, $"exit code {code}:\n{all}");
        Assert.True(lines.Length == 1, $"expected one line, got {lines.Length}:\n{all}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(names, lines[0]);
        Assert.DoesNotContain("   at ", all);
        Assert.DoesNotContain("Exception", lines[0]);
        Assert.DoesNotContain("LineNumber:", lines[0]);
    }

    // A shard's index entry for record 1 pointing a terabyte past the end: its record size would overflow an int.
    private static byte[] CorruptIndexEntry(byte[] shard)
    {
        long indexOffset = BinaryPrimitives.ReadInt64LittleEndian(shard.AsSpan(32));
        BinaryPrimitives.WriteInt64LittleEndian(shard.AsSpan((int)indexOffset + 8), 1L << 40);
        return shard;
    }

    // An example count whose index would not fit in memory, let alone in the file.
    private static byte[] CorruptExampleCount(byte[] shard)
    {
        BinaryPrimitives.WriteInt64LittleEndian(shard.AsSpan(24), 1L << 61);
        return shard;
    }

    private static byte[] Safetensors(string header)
    {
        var json = System.Text.Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, json.Length);
        json.CopyTo(bytes, 8);
        return bytes;
    }

    /// <summary>The files the cases point at, written once: a text, a tiny vocabulary and dataset, a Hugging Face folder.</summary>
    private sealed class Workspace
    {
        private static readonly Lazy<Workspace> Shared = new(() => new Workspace());
        private int _fresh;

        public static Workspace Instance => Shared.Value;

        public string Root { get; } = TestPaths.TempDirectory("cli-bad-input");
        public string Text { get; }
        public string EmptyFile { get; }
        public string EmptyFolder { get; }
        public string Vocab { get; }
        public string Dataset { get; }
        public string Hf { get; }
        public string Glue => System.IO.Path.Combine(TestPaths.Shared, "data", "glue");
        public string SquadV1 => System.IO.Path.Combine(TestPaths.Shared, "data", "squad", "dev-v1.1.json");

        private Workspace()
        {
            var corpus = File.ReadAllText(System.IO.Path.Combine(TestPaths.Shared, "data", "corpus", "gutenberg", "pg64317.txt"));
            Text = Write("text.txt", corpus[..4000]);
            EmptyFile = Write("empty.txt", "");
            EmptyFolder = Directory.CreateDirectory(Path("empty-folder")).FullName;
            Vocab = Path("vocab.txt");
            Dataset = Path("dataset");
            Succeed("vocab", "train", "--input", Text, "--size", "300", "--out", Vocab);
            Succeed("data", "prepare", "--input", Text, "--vocab", Vocab, "--out", Dataset, "--max-seq-length", "32", "--shard-size", "4", "--threads", "1");
            Hf = Directory.CreateDirectory(Path("hf")).FullName;
            var fixture = System.IO.Path.Combine(TestPaths.HfFixtures, "proj");
            File.Copy(System.IO.Path.Combine(fixture, "config.json"), System.IO.Path.Combine(Hf, "config.json"));
            File.Copy(System.IO.Path.Combine(fixture, "discriminator.safetensors"), System.IO.Path.Combine(Hf, "model.safetensors"));
        }

        public string Path(string name) => System.IO.Path.Combine(Root, name);

        /// <summary>A path nothing has used yet (an --out folder per case).</summary>
        public string Fresh(string name) => Path($"{name}-{Interlocked.Increment(ref _fresh)}");

        public string Write(string name, string text)
        {
            File.WriteAllText(Path(name), text);
            return Path(name);
        }

        /// <summary>pretrain on <paramref name="dataset"/> with a config that matches it, one step, the small model.</summary>
        public string[] PretrainArgs(string dataset)
        {
            var manifest = PretrainingDataset.Load(Dataset);
            return ["pretrain", "--out", Fresh("r"), "--set", $"data_dir={dataset}", "--set", $"max_seq_length={manifest.MaxSeqLength}",
                "--set", $"vocab_size={manifest.VocabSize}", "--set", "train_batch_size=2", "--set", "num_train_steps=1", "--set", "model_size=small"];
        }

        /// <summary>finetune arguments that pass the model and vocabulary checks (the fixture has 99 tokens, 64 positions).</summary>
        public string[] FinetuneArgs(string task, string data, string? model = null)
        {
            var vocab = Path("vocab-99.txt");
            if (!File.Exists(vocab)) File.WriteAllLines(vocab, File.ReadLines(Vocab).Take(99));
            return ["finetune", "--task", task, "--model", model ?? Hf, "--data", data, "--set", "max_seq_length=64", "--set", $"vocab_file={vocab}"];
        }

        /// <summary>A checkpoint folder (model.safetensors + state.json) whose state.json holds <paramref name="state"/>.</summary>
        public string CheckpointWithState(string state)
        {
            var checkpoint = CopyFolder(Hf, Fresh("step-00000001"));
            File.Delete(System.IO.Path.Combine(checkpoint, "config.json"));
            File.WriteAllText(System.IO.Path.Combine(checkpoint, "state.json"), state);
            return checkpoint;
        }

        public string DatasetWithManifest(string manifest)
        {
            var copy = CopyDataset();
            File.WriteAllText(System.IO.Path.Combine(copy, PretrainingDataset.ManifestFile), manifest);
            return copy;
        }

        /// <summary>A copy of the dataset with every shard rewritten, so whichever shard is read first is corrupt.</summary>
        public string DatasetWithCorruptShards(Func<byte[], byte[]> corrupt)
        {
            var copy = CopyDataset();
            foreach (var shard in Directory.GetFiles(copy, "*.elshard")) File.WriteAllBytes(shard, corrupt(File.ReadAllBytes(shard)));
            return copy;
        }

        public string DatasetWithoutAShard()
        {
            var copy = CopyDataset();
            File.Delete(Directory.GetFiles(copy, "*.elshard").Order(StringComparer.Ordinal).Last());
            return copy;
        }

        /// <summary>A run folder that holds a checkpoint and a saved config that is not JSON.</summary>
        public string RunWithCorruptSavedConfig()
        {
            var run = Fresh("run");
            Directory.CreateDirectory(System.IO.Path.Combine(run, "checkpoints", "step-00000001"));
            File.WriteAllText(System.IO.Path.Combine(run, "checkpoints", "step-00000001", "state.json"), "{}");
            File.WriteAllText(System.IO.Path.Combine(run, PretrainCommand.ConfigFile), "{\"learning_rate\": ");
            return run;
        }

        public string HfWithConfig(string config)
        {
            var copy = CopyHf();
            File.WriteAllText(System.IO.Path.Combine(copy, "config.json"), config);
            return copy;
        }

        public string HfWithConfigEdit(Func<string, string> edit) => HfWithConfig(edit(File.ReadAllText(System.IO.Path.Combine(Hf, "config.json"))));

        /// <summary>A copy of the Hugging Face folder with its weights rewritten (null: removed).</summary>
        public string HfWithWeights(Func<byte[], byte[]>? rewrite)
        {
            var copy = CopyHf();
            var weights = System.IO.Path.Combine(copy, "model.safetensors");
            if (rewrite is null) File.Delete(weights);
            else File.WriteAllBytes(weights, rewrite(File.ReadAllBytes(weights)));
            return copy;
        }

        private string CopyDataset() => CopyFolder(Dataset, Fresh("dataset"));

        private string CopyHf() => CopyFolder(Hf, Fresh("hf"));

        private static string CopyFolder(string from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var file in Directory.GetFiles(from)) File.Copy(file, System.IO.Path.Combine(to, System.IO.Path.GetFileName(file)));
            return to;
        }

        private static void Succeed(params string[] args)
        {
            var error = new StringWriter();
            int code = CliApp.Run(args, new StringWriter(), error);
            if (code != 0) throw new InvalidOperationException($"electralab {string.Join(' ', args)} failed: {error}");
        }
    }
}
