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
