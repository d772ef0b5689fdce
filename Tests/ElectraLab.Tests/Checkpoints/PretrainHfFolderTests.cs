using ElectraLab.Cli;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Checkpoints;

/// <summary>
/// `pretrain`'s hf/ folders carry the tokenizer the model was trained with: the dataset's vocabulary and casing, and
/// the pre-training max_seq_length as model_max_length; fine-tuning from the run picks them up.
/// </summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class PretrainHfFolderTests
{
    [Fact]
    public void Pretrain_WritesTokenizerFilesIntoBothHfFolders_WithTheDatasetsCasingAndLength()
    {
        var work = TestPaths.TempDirectory("pretrain-hf");
        var text = Path.Combine(work, "text.txt");
        var corpus = File.ReadAllText(Path.Combine(TestPaths.Shared, "data", "corpus", "gutenberg", "pg64317.txt"));
        File.WriteAllText(text, corpus[..6000]);
        var vocab = Path.Combine(work, "vocab.txt");
        var dataset = Path.Combine(work, "dataset");
        var run = Path.Combine(work, "run");
        Succeed("vocab", "train", "--input", text, "--size", "300", "--out", vocab, "--no-lower-case");
        Succeed("data", "prepare", "--input", text, "--vocab", vocab, "--out", dataset, "--max-seq-length", "32", "--shard-size", "8", "--threads", "1", "--no-lower-case");
        Succeed("pretrain", "--out", run, "--set", $"data_dir={dataset}", "--set", "max_seq_length=32", "--set", "vocab_size=300",
            "--set", "train_batch_size=2", "--set", "num_train_steps=1", "--set", "model_size=small", "--set", "num_threads=2", "--set", "precision=fp32");

        foreach (var model in new[] { "discriminator", "generator" })
        {
            var folder = Path.Combine(run, "hf", model);
            var settings = HfTokenizerFiles.Read(folder)!;
            Assert.NotNull(settings);
            Assert.Equal((false, (int?)32), (settings.DoLowerCase, settings.ModelMaxLength));
            Assert.Equal(File.ReadAllLines(vocab), File.ReadAllLines(Path.Combine(folder, "vocab.txt")));
            Assert.True(File.Exists(Path.Combine(folder, "special_tokens_map.json")));
        }

        // Fine-tuning from the run tokenizes as the model was trained: cased, without being told.
        var source = BackboneSource.Open(run);
        Assert.Equal("pretraining-run/hf", source.Kind);
        Assert.Equal((false, (int?)32), (source.LowerCase, source.ModelMaxLength));
        var experiment = FinetuneExperiment.Prepare("SST-2", run, Path.Combine(TestPaths.Shared, "data", "glue"),
            ["max_seq_length=32", "max_train_examples=8", "device=cpu", "precision=fp32"]);
        Assert.False(experiment.Config.DoLowerCase);
    }

    private static void Succeed(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        Assert.True(code == 0, $"{string.Join(' ', args)}: {error}");
    }
}
