using System.Reflection;
using System.Text.Json.Nodes;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Data.Tokenization;

namespace ElectraLab.Cluster.Tests.Support;

/// <summary>Paths into the repository and ../shared, and a micro pre-training dataset built once per test run.</summary>
public static class TestData
{
    /// <summary>
    /// Metric rows an ELECTRA run writes per log step: mlm_loss, disc_loss, generator_accuracy, disc_accuracy,
    /// disc_precision, disc_recall, learning_rate, tokens_per_second, train_flops and disc_prior_gap.
    /// </summary>
    public const long ElectraMetricsPerLog = 10;

    private static readonly Lazy<string> MicroDataset = new(BuildMicroDataset, LazyThreadSafetyMode.ExecutionAndPublication);

    public static string RepoRoot { get; } = typeof(TestData).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
        .First(a => a.Key == "RepoRoot").Value!;

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string GlueDirectory => Path.Combine(Shared, "data", "glue");

    /// <summary>Frankenstein tokenized with BERT's vocabulary into 32-token examples (about a second to build).</summary>
    public static string DatasetDirectory => MicroDataset.Value;

    public static string TempDirectory(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "electralab-cluster-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>A micro ELECTRA (hidden 64, 2 layers, seq 32) that trains a step in milliseconds on one CPU thread.</summary>
    public static JsonObject MicroConfig(int steps, int logEvery = 2) => new()
    {
        ["model_size"] = "small",
        ["embedding_size"] = 32,
        ["max_seq_length"] = 32,
        ["train_batch_size"] = 8,
        ["model_hparam_overrides"] = new JsonObject
        {
            ["hidden_size"] = 64, ["num_hidden_layers"] = 2, ["num_attention_heads"] = 2, ["intermediate_size"] = 128,
        },
        ["generator_hidden_size"] = 0.5,
        // Pinned: the default (auto) would pick bf16-mixed on some machines and fp32 on others.
        ["precision"] = "fp32",
        ["num_train_steps"] = steps,
        ["num_warmup_steps"] = 2,
        ["learning_rate"] = 2e-3,
        ["log_every"] = logEvery,
        ["num_threads"] = 1,
        ["data_dir"] = DatasetDirectory,
    };

    private static string BuildMicroDataset()
    {
        var vocab = Path.Combine(Shared, "data", "vocab", "bert-base-uncased-vocab.txt");
        var tokenizer = WordPieceTokenizer.FromVocabFile(vocab);
        var output = TempDirectory("micro-dataset");
        PretrainingDatasetBuilder.Build(tokenizer, vocab, new PretrainingBuildOptions
        {
            InputFiles = [Path.Combine(Shared, "data", "corpus", "gutenberg", "pg84.txt")],
            OutputDirectory = output,
            MaxSeqLength = 32,
            Threads = 1,
        }, null, CancellationToken.None);
        return output;
    }
}
