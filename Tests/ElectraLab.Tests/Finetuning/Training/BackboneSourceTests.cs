using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Electra.Modeling;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Tests.Pretraining;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Finetuning.Training;

/// <summary>Loading the encoder to fine-tune from every kind of folder, and the errors for folders that are not models.</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class BackboneSourceTests(Xunit.Abstractions.ITestOutputHelper log)
{
    static readonly SpecialTokens Special = new(Pad: 0, Cls: 2, Sep: 3, Mask: 4);

    private static void AssertBackboneEquals(ElectraModel expected, BackboneSource source)
    {
        using var loaded = new ElectraModel(source.Config);
        source.LoadInto(loaded);
        var a = expected.state_dict();
        var b = loaded.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) TensorAssert.Identical(a[key], b[key], key);
    }

    /// <summary>A Hugging Face folder made of transformers' own files (the parity fixtures): heads are ignored.</summary>
    [Theory]
    [InlineData("config.json", "discriminator.safetensors", "ElectraForPreTraining")]
    [InlineData("generator_config.json", "generator.safetensors", "ElectraForMaskedLM")]
    public void HfFolder_OfAnyElectraArchitecture_LoadsItsBackbone(string config, string weights, string architecture)
    {
        var dir = TestPaths.TempDirectory("hf");
        File.Copy(Path.Combine(TestPaths.HfFixtures, "proj", config), Path.Combine(dir, "config.json"));
        File.Copy(Path.Combine(TestPaths.HfFixtures, "proj", weights), Path.Combine(dir, "model.safetensors"));
        FinetuneTestData.SmallVocab(dir);

        var source = BackboneSource.Open(dir);
        Assert.Equal(("hf", "electra."), (source.Kind, source.TensorPrefix));
        Assert.Equal(Path.Combine(dir, "vocab.txt"), source.VocabFile);
        var (model, _, arch) = HfModelDirectory.Load(dir);
        using var _ = model;
        Assert.Equal(architecture, arch);
        AssertBackboneEquals(((ElectraTaskModel)model).Backbone, source);
    }

    [Fact]
    public void PretrainingRun_LoadsTheLatestCheckpoint_ThenTheExportedDiscriminator()
    {
        var config = PretrainerTests.Micro("num_train_steps=4");
        var run = TestPaths.TempDirectory("run");
        File.WriteAllText(Path.Combine(run, BackboneSource.PretrainingConfigFile), config.ToJson());
        using var trainer = new Pretrainer(config, RandomTokenSource.Factory(config.TrainBatchSize, config.MaxSeqLength, config.VocabSize, 5, Special), Special);
        trainer.Train(untilStep: 2);
        trainer.SaveCheckpoint(run);
        trainer.Train();
        var latest = trainer.SaveCheckpoint(run);

        var fromRun = BackboneSource.Open(run);
        Assert.Equal(("pretraining-run/checkpoint", "discriminator.electra."), (fromRun.Kind, fromRun.TensorPrefix));
        Assert.Equal(Path.Combine(latest, PretrainingCheckpoint.ModelFile), fromRun.WeightsFile);
        Assert.Equal(config.DiscriminatorConfig().ToJson().ToJsonString(), fromRun.Config.ToJson().ToJsonString());
        AssertBackboneEquals(trainer.Model.Backbone, fromRun);
        AssertBackboneEquals(trainer.Model.Backbone, BackboneSource.Open(latest));
        Assert.Equal("checkpoint", BackboneSource.Open(latest).Kind);

        trainer.ExportHf(Path.Combine(run, "hf"));
        var exported = BackboneSource.Open(run);
        Assert.Equal("pretraining-run/hf", exported.Kind);
        AssertBackboneEquals(trainer.Model.Backbone, exported);
    }

    [Fact]
    public void PretrainingRun_FineTunesThroughTheCli()
    {
        var config = PretrainerTests.Micro("num_train_steps=2");
        var run = TestPaths.TempDirectory("run-cli");
        File.WriteAllText(Path.Combine(run, BackboneSource.PretrainingConfigFile), config.ToJson());
        using (var trainer = new Pretrainer(config, RandomTokenSource.Factory(config.TrainBatchSize, config.MaxSeqLength, config.VocabSize, 5, Special), Special))
        {
            trainer.Train();
            trainer.SaveCheckpoint(run);
        }
        var vocab = FinetuneTestData.SmallVocab(TestPaths.TempDirectory("vocab"), 120);
        var out_ = TestPaths.TempDirectory("ft-out");
        var (code, output, error) = FinetuneTestData.Cli("finetune", "--task", "MRPC", "--model", run, "--data", FinetuneTestData.Glue,
            "--seeds", "1,2", "--set", $"vocab_file={vocab}", "--set", "max_train_examples=16", "--set", "train_batch_size=16",
            "--set", "num_train_epochs=1", "--set", "max_seq_length=16", "--set", "device=cpu", "--set", "precision=fp32", "--out", out_);
        Assert.True(code == 0, error + output);
        log.WriteLine(output);
        Assert.Contains("median", output);
        Assert.Contains("95% interval", output);
        Assert.True(File.Exists(Path.Combine(out_, "MRPC.tsv")));
        var results = FinetuneResults.Read(Path.Combine(out_, FinetuneResults.FileName));
        Assert.Equal("f1", results.Seeds[0].Metrics.Keys.First());
        Assert.Equal(32, results.Data["train_inputs"]!.GetValue<long>());   // 16 pairs in both orders
        Assert.Equal(2, results.Seeds[0].TrainSteps);
        Assert.Equal("pretraining-run/checkpoint", results.Model["kind"]!.GetValue<string>());
    }

    [Fact]
    public void FoldersThatAreNotModels_FailNamingWhatIsMissing()
    {
        var missing = Path.Combine(TestPaths.TempDirectory("none"), "nope");
        Assert.Contains("no such model folder", Assert.Throws<DirectoryNotFoundException>(() => BackboneSource.Open(missing)).Message);

        var empty = TestPaths.TempDirectory("empty");
        var e = Assert.Throws<InvalidDataException>(() => BackboneSource.Open(empty));
        Assert.Contains("not a model folder", e.Message);
        Assert.Contains("config.json", e.Message);

        var configOnly = TestPaths.TempDirectory("config-only");
        File.Copy(Path.Combine(TestPaths.HfFixtures, "proj", "config.json"), Path.Combine(configOnly, "config.json"));
        Assert.Contains("no model.safetensors", Assert.Throws<FileNotFoundException>(() => BackboneSource.Open(configOnly)).Message);

        var noCheckpoints = TestPaths.TempDirectory("run-empty");
        Directory.CreateDirectory(Path.Combine(noCheckpoints, "checkpoints"));
        Assert.Contains("no complete checkpoint", Assert.Throws<InvalidDataException>(() => BackboneSource.Open(noCheckpoints)).Message);
    }
}
