// `vocab train` and `data prepare`: raw text -> a WordPiece vocab.txt, and raw text -> shards of pre-training
// examples built as the official build_pretraining_dataset.py builds them. `data` is a group so that other data
// jobs (e.g. `data download`) can be added beside `prepare`.
using System.CommandLine;
using System.Diagnostics;
using ElectraLab.Electra.Data;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Data.Tokenization;
using Spectre.Console;

namespace ElectraLab.Cli.Commands;

public static class DataCommands
{
    public static Command Vocab()
    {
        var input = InputOption();
        var size = new Option<int>("--size") { Description = "Vocabulary size, special tokens included.", DefaultValueFactory = _ => 30522 };
        var output = new Option<FileInfo>("--out") { Description = "vocab.txt to write.", Required = true };
        var noLowerCase = new Option<bool>("--no-lower-case") { Description = "Keep case (and accents), for a cased vocabulary." };
        var threads = ThreadsOption();
        var train = new Command("train", "Train a WordPiece vocabulary ([PAD] [UNK] [CLS] [SEP] [MASK] first) from raw text.")
        {
            input, size, output, noLowerCase, threads,
        };
        train.SetAction(parse =>
        {
            var files = TextInputs.Expand(parse.GetRequiredValue(input));
            var target = parse.GetRequiredValue(output).FullName;
            var totalBytes = files.Sum(f => new FileInfo(f).Length);
            long done = 0;
            var clock = Stopwatch.StartNew();
            var counts = ShowProgress(parse.InvocationConfiguration.Output, "counting words", totalBytes, () => Interlocked.Read(ref done),
                () => WordCounter.Count(files, !parse.GetValue(noLowerCase), parse.GetValue(threads), b => Interlocked.Add(ref done, b)));
            if (counts.Count == 0) throw new UserInputException($"{TextInputs.Describe(files)}: the input holds no text");
            var vocab = new VocabTrainer { VocabSize = parse.GetValue(size) }.Train(counts);
            VocabTrainer.Write(vocab, target);
            parse.InvocationConfiguration.Output.WriteLine(
                $"wrote {vocab.Count:N0} tokens to {target} from {counts.Count:N0} distinct words in {files.Count} file(s), {clock.Elapsed.TotalSeconds:F1}s");
            return 0;
        });
        return new Command("vocab", "Vocabulary jobs.") { train };
    }

    public static Command Data() => Data([]);

    /// <summary>The `data` group: `prepare` plus any other data jobs, e.g. <c>Data(DataDownloadCommand.Create())</c>.</summary>
    public static Command Data(params Command[] more)
    {
        var data = new Command("data", "Pre-training data jobs.");
        data.Subcommands.Add(Prepare());
        foreach (var command in more) data.Subcommands.Add(command);
        return data;
    }

    private static Command Prepare()
    {
        var input = InputOption();
        var vocab = new Option<FileInfo>("--vocab") { Description = "A BERT-style vocab.txt.", Required = true };
        var output = new Option<DirectoryInfo>("--out") { Description = "Dataset folder to write (dataset.json + shards).", Required = true };
        var maxSeqLength = new Option<int>("--max-seq-length") { Description = "Tokens per example, [CLS]/[SEP] included.", DefaultValueFactory = _ => 128 };
        var seed = new Option<long>("--seed") { Description = "Seed of every file's random stream (0 to 2^32-1).", DefaultValueFactory = _ => 12345 };
        var shardSize = new Option<int>("--shard-size") { Description = "At most this many examples per shard file.", DefaultValueFactory = _ => 100_000 };
        var threads = ThreadsOption();
        var noLowerCase = new Option<bool>("--no-lower-case") { Description = "Keep case and accents (for a cased vocabulary)." };
        var command = new Command("prepare", "Build pre-training examples from raw text (one sentence per line, blank line between documents), as ELECTRA's build_pretraining_dataset.py.")
        {
            input, vocab, output, maxSeqLength, seed, shardSize, threads, noLowerCase,
        };
        command.SetAction(parse =>
        {
            var files = TextInputs.Expand(parse.GetRequiredValue(input));
            var vocabFile = parse.GetRequiredValue(vocab).FullName;
            // ELECTRA's tokenizer: accents stripped when lower-casing, words up to 200 characters (E-build L124-127).
            var tokenizer = WordPieceTokenizer.FromVocabFile(vocabFile, lowerCase: !parse.GetValue(noLowerCase), stripAccents: true,
                WordPieceTokenizer.ElectraMaxInputCharsPerWord);
            var options = new PretrainingBuildOptions
            {
                InputFiles = files,
                OutputDirectory = parse.GetRequiredValue(output).FullName,
                MaxSeqLength = parse.GetValue(maxSeqLength),
                Seed = parse.GetValue(seed),
                ShardSize = parse.GetValue(shardSize),
                Threads = parse.GetValue(threads),
            };
            var progress = new BuildProgress();
            var clock = Stopwatch.StartNew();
            var dataset = ShowProgress(parse.InvocationConfiguration.Output, "building examples", files.Sum(f => new FileInfo(f).Length),
                () => progress.Bytes, () => PretrainingDatasetBuilder.Build(tokenizer, vocabFile, options, progress));
            var seconds = clock.Elapsed.TotalSeconds;
            var megabytes = dataset.Sources.Sum(s => s.Bytes) / 1e6;
            parse.InvocationConfiguration.Output.WriteLine(
                $"wrote {dataset.ExampleCount:N0} examples ({dataset.TokenCount:N0} tokens) in {dataset.Shards.Count} shard(s) to {options.OutputDirectory}");
            parse.InvocationConfiguration.Output.WriteLine($"{megabytes:F1} MB of text in {seconds:F1}s ({megabytes / Math.Max(seconds, 1e-9):F1} MB/s)");
            return 0;
        });
        return command;
    }

    private static Option<string[]> InputOption() => new("--input")
    {
        Description = "Text files or folders (read recursively, sorted).",
        Required = true,
        AllowMultipleArgumentsPerToken = true,
    };

    private static Option<int> ThreadsOption() => new("--threads")
    {
        Description = "Files processed at once (the output does not depend on it).",
        DefaultValueFactory = _ => Environment.ProcessorCount,
    };

    // A Spectre progress bar when writing to an interactive console; otherwise just the work (logs and tests
    // capture the summary line only).
    private static T ShowProgress<T>(TextWriter output, string label, long total, Func<long> done, Func<T> work)
    {
        bool interactive = ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
        if (!interactive) return work();
        var task = Task.Run(work);
        AnsiConsole.Progress()
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn(), new SpinnerColumn())
            .Start(context =>
            {
                var bar = context.AddTask(label, maxValue: Math.Max(1, total));
                while (!((IAsyncResult)task).AsyncWaitHandle.WaitOne(100)) bar.Value = done();
                bar.Value = bar.MaxValue;
            });
        return task.GetAwaiter().GetResult();
    }
}
