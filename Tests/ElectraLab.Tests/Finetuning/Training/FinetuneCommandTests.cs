using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Finetuning.Training;

/// <summary>`electralab finetune` with bad input: exit 1, nothing on stdout, one line naming the problem.</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class FinetuneCommandTests
{
    /// <summary>A loadable HF folder (the transformers fixture) with a vocabulary that fits its 99 ids.</summary>
    private static readonly Lazy<string> Model = new(() =>
    {
        var dir = TestPaths.TempDirectory("cli-model");
        File.Copy(Path.Combine(TestPaths.HfFixtures, "proj", "config.json"), Path.Combine(dir, "config.json"));
        File.Copy(Path.Combine(TestPaths.HfFixtures, "proj", "discriminator.safetensors"), Path.Combine(dir, "model.safetensors"));
        FinetuneTestData.SmallVocab(dir);
        return dir;
    });

    private static string SquadSample => Path.Combine(FinetuneTestData.Squad, "sample.json");

    public static TheoryData<string[], string> BadInputs => new()
    {
        { ["--task", "SST-3"], "unknown task 'SST-3'" },
        { ["--task", "SST-2", "--model", "/nonexistent/model"], "no such model folder" },
        { ["--task", "SST-2", "--set", "learning_rat=1e-4"], "unknown config key 'learning_rat'" },
        { ["--task", "SST-2", "--set", "learning_rate=fast"], "config key 'learning_rate' has the wrong type" },
        { ["--task", "SST-2", "--set", "precision=fp8"], "config key 'precision'" },
        { ["--task", "SST-2", "--set", "max_seq_length=128"], "the model has 64 positions" },
        { ["--task", "SST-2", "--seeds", "1,x"], "'x' is not an integer" },
        { ["--task", "SST-2", "--seeds", "1,1"], "seed 1 is listed twice" },
        { ["--task", "QNLI"], "train.tsv" },
        { ["--task", "SST-2", "--data", "/nonexistent/glue"], "no such GLUE folder" },
        { ["--task", "squad2", "--data", "{squad}"], "train_file" },
        { ["--task", "squad1", "--data", "{squad}", "--set", "train_file={squad}"], "use --task squad2" },
    };

    [Theory]
    [MemberData(nameof(BadInputs))]
    public void BadInput_ExitsOneWithOneLineNamingTheProblem(string[] args, string mentions)
    {
        var all = new List<string>(args.Select(a => a.Replace("{squad}", SquadSample)));
        if (!all.Contains("--model")) all.AddRange(["--model", Model.Value]);
        if (!all.Contains("--data")) all.AddRange(["--data", FinetuneTestData.Glue]);
        all.AddRange(["--set", "max_seq_length=32", "--out", TestPaths.TempDirectory("cli-out")]);
        // The case's own max_seq_length comes last so it wins.
        if (args.Contains("max_seq_length=128")) all.AddRange(["--set", "max_seq_length=128"]);
        var (code, output, error) = FinetuneTestData.Cli(["finetune", .. all]);
        Assert.Equal(1, code);
        Assert.Equal("", output);
        var lines = error.TrimEnd().Split('\n');
        Assert.True(lines.Length == 1, $"expected one error line, got:\n{error}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(mentions, lines[0]);
    }
}
