using ElectraLab.Cli;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;

namespace ElectraLab.Tests;

/// <summary>import-hf, export-hf and inspect on real Hugging Face files (the fixture weights in google/* layout).</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class CliModelCommandTests
{
    public static TheoryData<string, string> Models()
    {
        var data = new TheoryData<string, string>();
        foreach (var fixture in HfFixture.Names())
            foreach (var weights in new[] { "discriminator", "generator" })
                data.Add(fixture, weights);
        return data;
    }

    [Theory, MemberData(nameof(Models))]
    public void ImportThenExport_WritesByteIdenticalTensors(string fixture, string weights)
    {
        var source = HfFolder(fixture, weights);
        var work = TestPaths.TempDirectory("cli");
        var imported = Path.Combine(work, "imported");
        var exported = Path.Combine(work, "exported");

        var (code, output, error) = Run("import-hf", source, "--out", imported);
        Assert.True(code == 0, error);
        Assert.Contains(weights == "generator" ? "ElectraForMaskedLM" : "ElectraForPreTraining", output);
        (code, _, error) = Run("export-hf", imported, "--out", exported);
        Assert.True(code == 0, error);

        using var original = new SafetensorsReader(Path.Combine(source, "model.safetensors"));
        using var roundTrip = new SafetensorsReader(Path.Combine(exported, "model.safetensors"));
        Assert.Equal(original.Entries.Keys.Order(StringComparer.Ordinal), roundTrip.Entries.Keys.Order(StringComparer.Ordinal));
        foreach (var name in original.Entries.Keys)
        {
            using var a = original.Read(name);
            using var b = roundTrip.Read(name);
            TensorAssert.Identical(a, b, name);
        }
    }

    [Fact]
    public void ExportWithATokenizer_WritesACompleteFolder_ThatImportReadsBack()
    {
        var source = HfFolder("proj", "discriminator");
        var vocab = Finetuning.Training.FinetuneTestData.SmallVocab(TestPaths.TempDirectory("vocab"), 99);
        var work = TestPaths.TempDirectory("cli");
        var exported = Path.Combine(work, "exported");
        var (code, output, error) = Run("export-hf", source, "--out", exported, "--vocab", vocab, "--do-lower-case", "false", "--model-max-length", "48");
        Assert.True(code == 0, error);
        Assert.Equal("", error);
        Assert.Contains("cased, model_max_length 48", output);
        foreach (var file in new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json" })
            Assert.True(File.Exists(Path.Combine(exported, file)), file);
        Assert.Equal(File.ReadAllLines(vocab), File.ReadAllLines(Path.Combine(exported, "vocab.txt")));

        // import-hf reads the folder's own tokenizer files (no options) and keeps them.
        var imported = Path.Combine(work, "imported");
        (code, output, error) = Run("import-hf", exported, "--out", imported);
        Assert.True(code == 0, error);
        var settings = HfTokenizerFiles.Read(imported)!;
        Assert.Equal((false, (int?)48), (settings.DoLowerCase, settings.ModelMaxLength));
        Assert.Equal(99, settings.CreateTokenizer().VocabSize);
        Assert.Equal(File.ReadAllText(Path.Combine(exported, "tokenizer_config.json")), File.ReadAllText(Path.Combine(imported, "tokenizer_config.json")));

        // An option overrides what the folder says.
        (code, _, error) = Run("export-hf", imported, "--out", Path.Combine(work, "lower"), "--do-lower-case", "true");
        Assert.True(code == 0, error);
        Assert.Equal((true, (int?)48), (HfTokenizerFiles.Read(Path.Combine(work, "lower"))!.DoLowerCase, HfTokenizerFiles.Read(Path.Combine(work, "lower"))!.ModelMaxLength));
    }

    [Fact]
    public void ExportWithoutAVocabulary_SaysSoAndLeavesNoStaleTokenizer()
    {
        var source = HfFolder("proj", "discriminator");
        var target = TestPaths.TempDirectory("stale");
        File.WriteAllText(Path.Combine(target, "vocab.txt"), "[PAD]\n");
        var (code, _, error) = Run("export-hf", source, "--out", target);
        Assert.Equal(0, code);
        Assert.Contains("has no vocab.txt", error);
        Assert.False(File.Exists(Path.Combine(target, "vocab.txt")));
        Assert.True(File.Exists(Path.Combine(target, "model.safetensors")));
    }

    [Theory]
    [InlineData(120, null, "120 tokens, but the model's vocab_size is 99")]
    [InlineData(99, "100", "model_max_length 100 is more than the model's 64 positions")]
    public void Export_OfATokenizerThatDoesNotFitTheModel_FailsWithOneLine(int vocabSize, string? maxLength, string mentions)
    {
        var source = HfFolder("proj", "discriminator");
        var vocab = Finetuning.Training.FinetuneTestData.SmallVocab(TestPaths.TempDirectory("vocab"), vocabSize);
        string[] args = ["export-hf", source, "--out", TestPaths.TempDirectory("x"), "--vocab", vocab];
        if (maxLength is not null) args = [.. args, "--model-max-length", maxLength];
        var (code, _, error) = Run(args);
        Assert.Equal(1, code);
        Assert.Single(error.Trim().Split('\n'));
        Assert.Contains(mentions, error);
    }

    [Fact]
    public void Inspect_PrintsConfigCountsAndEveryTensor()
    {
        var source = HfFolder("proj", "discriminator");
        var (code, output, error) = Run("inspect", source);
        Assert.True(code == 0, error);
        Assert.Contains("embedding_size        16 (projected to 32)", output);
        Assert.Contains("electra.embeddings_project.weight", output);
        Assert.Contains("discriminator_predictions.dense_prediction.weight", output);
        Assert.Contains("tensors (44)", output);
        Assert.Matches(@"total\s+[\d,]+", output);
    }

    [Fact]
    public void Import_OfAFolderWithAWrongShape_FailsWithOneLineNamingTheTensor()
    {
        var source = HfFolder("proj", "discriminator");
        var broken = TestPaths.TempDirectory("broken");
        File.Copy(Path.Combine(source, "model.safetensors"), Path.Combine(broken, "model.safetensors"));
        // Claim a wider FFN than the weights have.
        File.WriteAllText(Path.Combine(broken, "config.json"),
            File.ReadAllText(Path.Combine(source, "config.json")).Replace("\"intermediate_size\": 37", "\"intermediate_size\": 40"));
        var (code, _, error) = Run("import-hf", broken, "--out", Path.Combine(broken, "out"));
        Assert.Equal(1, code);
        Assert.StartsWith("error: ", error);
        Assert.Contains("'electra.encoder.layer.0.intermediate.dense.weight'", error);
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void Import_OfAMissingFolder_FailsCleanly()
    {
        var (code, _, error) = Run("import-hf", "/nonexistent/electra", "--out", TestPaths.TempDirectory("x"));
        Assert.Equal(1, code);
        Assert.Contains("no such folder", error);
    }

    /// <summary>A google/electra-* style folder (config.json + model.safetensors) from one fixture weight file.</summary>
    private static string HfFolder(string fixture, string weights)
    {
        var dir = TestPaths.TempDirectory($"hf-{fixture}-{weights}");
        var fixtureDir = Path.Combine(TestPaths.HfFixtures, fixture);
        var config = weights == "generator" ? "generator_config.json" : "config.json";
        var text = File.ReadAllText(Path.Combine(fixtureDir, config));
        if (weights == "generator") text = text.Replace("ElectraForPreTraining", "ElectraForMaskedLM");
        File.WriteAllText(Path.Combine(dir, "config.json"), text);
        File.Copy(Path.Combine(fixtureDir, weights + ".safetensors"), Path.Combine(dir, "model.safetensors"));
        return dir;
    }

    private static (int Code, string Output, string Error) Run(params string[] args)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        int code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }
}
