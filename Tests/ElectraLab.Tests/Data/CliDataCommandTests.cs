using ElectraLab.Cli;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Data;

/// <summary>`vocab train` and `data prepare` end to end, and their one-line errors.</summary>
[Trait("Category", "Unit")]
public sealed class CliDataCommandTests
{
    [Fact]
    public void VocabTrainThenDataPrepare_BuildsReadableDataset()
    {
        var work = TestPaths.TempDirectory("cli-data");
        var corpus = Path.Combine(DataTestFiles.Corpus, "gutenberg", "pg64317.txt");
        var vocab = Path.Combine(work, "vocab.txt");
        var (code, output, error) = Run("vocab", "train", "--input", corpus, "--size", "3000", "--out", vocab);
        Assert.True(code == 0, error);
        Assert.Contains("wrote 3,000 tokens", output);

        var dataset = Path.Combine(work, "dataset");
        (code, output, error) = Run("data", "prepare", "--input", corpus, "--vocab", vocab, "--out", dataset,
            "--max-seq-length", "64", "--seed", "3", "--shard-size", "500", "--threads", "2");
        Assert.True(code == 0, error);
        Assert.Contains("examples", output);
        var manifest = PretrainingDataset.Load(dataset);
        Assert.Equal(64, manifest.MaxSeqLength);
        Assert.True(manifest.Shards.Count >= 2);
        using var stream = new PretrainingBatchStream(dataset, 4, 0);
        Assert.Equal(4 * 64, stream.Next().InputIds.Length);
    }

    [Fact]
    public void DataPrepare_MissingInput_OneLineError()
    {
        var (code, _, error) = Run("data", "prepare", "--input", "/nonexistent/corpus.txt", "--vocab", DataTestFiles.BertVocab, "--out", TestPaths.TempDirectory("cli-missing"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void DataPrepare_EmptyCorpus_OneLineError()
    {
        var work = TestPaths.TempDirectory("cli-empty");
        var input = Path.Combine(work, "empty.txt");
        File.WriteAllText(input, "\n\n");
        var (code, _, error) = Run("data", "prepare", "--input", input, "--vocab", DataTestFiles.BertVocab, "--out", Path.Combine(work, "out"));
        Assert.Equal(1, code);
        Assert.Contains("no text", error);
    }

    [Fact]
    public void DataPrepare_BadVocab_OneLineError()
    {
        var work = TestPaths.TempDirectory("cli-badvocab");
        var vocab = DataTestFiles.WriteVocab(work, ["hello", "world"]);
        var input = Path.Combine(work, "a.txt");
        File.WriteAllText(input, "hello world\n");
        var (code, _, error) = Run("data", "prepare", "--input", input, "--vocab", vocab, "--out", Path.Combine(work, "out"));
        Assert.Equal(1, code);
        Assert.Contains("[PAD]", error);
    }

    [Fact]
    public void VocabTrain_EmptyCorpus_OneLineError()
    {
        var work = TestPaths.TempDirectory("cli-vocab-empty");
        var input = Path.Combine(work, "empty.txt");
        File.WriteAllText(input, "");
        var (code, _, error) = Run("vocab", "train", "--input", input, "--out", Path.Combine(work, "vocab.txt"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
    }

    [Fact]
    public void DataGroup_TakesFurtherSubcommands()
    {
        var data = ElectraLab.Cli.Commands.DataCommands.Data(new System.CommandLine.Command("download", "test"));
        Assert.Equal(["prepare", "download"], data.Subcommands.Select(c => c.Name));
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
