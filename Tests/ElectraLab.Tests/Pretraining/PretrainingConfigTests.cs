using ElectraLab.Electra.Pretraining;
using ElectraLab.Tests.Support;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Tests.Pretraining;

[Trait("Category", "Unit")]
public sealed class PretrainingConfigTests
{
    [Fact]
    public void Defaults_AreThePapersElectraSmall()
    {
        var c = PretrainingConfigLoader.Load(null, []);
        Assert.Equal((0.15, 50.0, 1.0, 5e-4, 0.01, 10000, 1_000_000, 128, 128, 19),
            (c.MaskProb, c.DiscWeight, c.Temperature, c.LearningRate, c.WeightDecayRate, c.NumWarmupSteps, c.NumTrainSteps, c.TrainBatchSize, c.MaxSeqLength, c.MaxPredictions));
        Assert.Equal(64, c.GeneratorConfig().HiddenSize);
        Assert.Equal(128, c.DiscriminatorConfig().EmbeddingSize);
    }

    [Fact]
    public void FileThenSet_OverrideInOrder_WithOfficialKeyNames()
    {
        var dir = TestPaths.TempDirectory("config");
        var yaml = Path.Combine(dir, "small.yaml");
        File.WriteAllText(yaml, """
            model_size: small
            learning_rate: 3e-4
            num_train_steps: 200
            model_hparam_overrides:
              num_hidden_layers: 2
            use_tpu: false
            """);
        var c = PretrainingConfigLoader.Load(yaml, ["learning_rate=1e-4", "objective=electra-15", "mask_prob=0.25"]);
        Assert.Equal(1e-4, c.LearningRate);
        Assert.Equal(200, c.NumTrainSteps);
        Assert.Equal(Objective.Electra15, c.ObjectiveKind);
        Assert.Equal(2, c.DiscriminatorConfig().NumHiddenLayers);
        Assert.Equal(32, c.MaxPredictions);         // int((0.25 + 0.005) · 128)
    }

    [Fact]
    public void UnknownKeys_AreErrorsNamingTheKey()
    {
        var error = Assert.Throws<ArgumentException>(() => PretrainingConfigLoader.Load(null, ["learnin_rate=1e-4"]));
        Assert.Contains("'learnin_rate'", error.Message);
        var dir = TestPaths.TempDirectory("config");
        var json = Path.Combine(dir, "c.json");
        File.WriteAllText(json, """{"mask_prob": 0.15, "disc_wieght": 50}""");
        error = Assert.Throws<ArgumentException>(() => PretrainingConfigLoader.Load(json, []));
        Assert.Contains("'disc_wieght'", error.Message);
    }

    [Theory]
    [InlineData("objective=bert", "objective")]
    [InlineData("mask_prob=1.5", "mask_prob")]
    [InlineData("weight_sharing=all", "weight_sharing")]          // needs generator_hidden_size 1.0
    [InlineData("electric_objective=true", "electric_objective")]
    [InlineData("train_batch_size=\"many\"", "train_batch_size")]
    [InlineData("vocab_size=0", "vocab_size")]
    [InlineData("num_train_steps=3000000000", "num_train_steps")]
    [InlineData("learning_rate=1e999", "learning_rate")]
    [InlineData("disc_weight=\"Infinity\"", "disc_weight")]
    [InlineData("model_hparam_overrides={\"hidden_size\": 100, \"num_attention_heads\": 3}", "model_hparam_overrides.num_attention_heads")]
    [InlineData("model_hparam_overrides={\"hidden_sizes\": 128}", "model_hparam_overrides.hidden_sizes")]
    [InlineData("model_hparam_overrides={\"hidden_size\": \"wide\"}", "model_hparam_overrides.hidden_size")]
    [InlineData("model_hparam_overrides={\"hidden_dropout_prob\": 1.5}", "model_hparam_overrides.hidden_dropout_prob")]
    [InlineData("model_hparam_overrides={\"num_hidden_layers\": 0}", "model_hparam_overrides.num_hidden_layers")]
    [InlineData("generator_hidden_size=0.001", "generator_hidden_size")]  // rounds to a generator of width 0
    public void BadValues_NameTheKey(string set, string key)
    {
        var error = Assert.Throws<ArgumentException>(() => PretrainingConfigLoader.Load(null, [set]));
        Assert.Contains($"'{key}'", error.Message);
    }

    [Fact]
    public void OfficialVariantFlags_MapToTheSwitches()
    {
        Assert.Equal(Objective.Mlm, PretrainingConfigLoader.Load(null, ["electra_objective=false"]).ObjectiveKind);
        Assert.Equal(WeightSharing.None, PretrainingConfigLoader.Load(null, ["untied_generator_embeddings=true"]).SharingKind);
        Assert.Equal(WeightSharing.All, PretrainingConfigLoader.Load(null, ["untied_generator=false", "generator_hidden_size=1.0"]).SharingKind);
        var error = Assert.Throws<ArgumentException>(() => PretrainingConfigLoader.Load(null, ["electra_objective=false", "objective=electra-15"]));
        Assert.Contains("'electra_objective'", error.Message);
    }
}
