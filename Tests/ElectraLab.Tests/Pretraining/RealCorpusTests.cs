using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Tests.Support;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Tests.Pretraining;

/// <summary>A dataset built once from real text (Frankenstein, ../shared/data/corpus) for the pre-training tests.</summary>
public sealed class RealCorpusDataset
{
    public RealCorpusDataset()
    {
        var vocab = Path.Combine(TestPaths.Shared, "data", "vocab", "bert-base-uncased-vocab.txt");
        var tokenizer = WordPieceTokenizer.FromVocabFile(vocab);
        Directory = TestPaths.TempDirectory("corpus-dataset");
        Dataset = PretrainingDatasetBuilder.Build(tokenizer, vocab, new PretrainingBuildOptions
        {
            InputFiles = [Path.Combine(TestPaths.Shared, "data", "corpus", "gutenberg", "pg84.txt")],
            OutputDirectory = Directory,
            MaxSeqLength = 32,
            Threads = 1,
        }, null, CancellationToken.None);
        Special = new SpecialTokens(tokenizer.PadId, tokenizer.ClsId, tokenizer.SepId, tokenizer.MaskId);
    }

    public string Directory { get; }
    public PretrainingDataset Dataset { get; }
    public SpecialTokens Special { get; }
}

/// <summary>Every objective and sharing mode learns on real English, with a tiny model, in CI time.</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class RealCorpusTests(RealCorpusDataset corpus) : IClassFixture<RealCorpusDataset>
{
    PretrainingConfig Tiny(params string[] sets) => PretrainingConfigLoader.Load(null,
    [
        "model_size=small", "embedding_size=32", "max_seq_length=32", "train_batch_size=16",
        """model_hparam_overrides={"hidden_size": 64, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 128}""",
        "generator_hidden_size=0.5", "num_train_steps=60", "num_warmup_steps=6", "learning_rate=2e-3",
        "log_every=20", "seed=3", $"data_dir={corpus.Directory}", "precision=fp32", .. sets,
    ]);

    [Theory]
    [InlineData("objective=electra")]
    [InlineData("objective=electra-15")]
    [InlineData("objective=mlm")]
    [InlineData("objective=replace-mlm")]
    [InlineData("objective=all-tokens-mlm")]
    [InlineData("weight_sharing=none")]
    [InlineData("weight_sharing=all", "generator_hidden_size=1.0")]
    [InlineData("training_algorithm=two-stage", "weight_sharing=none", "generator_hidden_size=1.0", "two_stage_generator_steps=30")]
    public void LossFalls_OnRealText(params string[] sets)
    {
        var config = Tiny(sets);
        using var trainer = new Pretrainer(config, DatasetBatchSource.Factory(corpus.Directory, config.TrainBatchSize, config.Seed), corpus.Special);
        var metrics = new List<TrainingMetrics>();
        trainer.Train(onMetrics: metrics.Add);
        Assert.Equal(3, metrics.Count);
        var (first, last) = (metrics[0], metrics[^1]);
        // The generator (or the MLM model) learns the language: mean MLM loss over steps 40-60 well below 1-20.
        Assert.True(last.MlmLoss < first.MlmLoss - 0.5, $"mlm_loss {first.MlmLoss:F3} -> {last.MlmLoss:F3}");
        if (config.ObjectiveKind is Objective.Electra or Objective.Electra15 && config.AlgorithmKind == TrainingAlgorithm.Joint)
        {
            // The discriminator beats the all-"original" baseline once the generator produces replacements.
            Assert.True(last.DiscLoss < first.DiscLoss, $"disc_loss {first.DiscLoss:F3} -> {last.DiscLoss:F3}");
        }
        // The kept model of replace-mlm predicts the masked tokens; all-tokens-mlm starts low (most tokens are
        // copied) and must still improve by a tenth.
        if (config.ObjectiveKind == Objective.ReplaceMlm)
            Assert.True(last.DiscLoss < first.DiscLoss - 0.5, $"main-model loss {first.DiscLoss:F3} -> {last.DiscLoss:F3}");
        if (config.ObjectiveKind == Objective.AllTokensMlm)
            Assert.True(last.DiscLoss < 0.9 * first.DiscLoss, $"main-model loss {first.DiscLoss:F3} -> {last.DiscLoss:F3}");
    }

    [Fact]
    public void Resume_OnRealData_ContinuesTheDataStreamAndGivesIdenticalWeights()
    {
        var config = Tiny("num_train_steps=10");
        BatchSourceFactory data = DatasetBatchSource.Factory(corpus.Directory, config.TrainBatchSize, config.Seed);
        var root = TestPaths.TempDirectory("resume-real");
        using var straight = new Pretrainer(config, data, corpus.Special);
        straight.Train();
        using (var first = new Pretrainer(config, data, corpus.Special))
        {
            first.Train(untilStep: 4);
            first.SaveCheckpoint(root);
        }
        using var resumed = new Pretrainer(config, data, corpus.Special);
        resumed.LoadCheckpoint(PretrainingCheckpoint.Latest(root)!);
        resumed.Train();
        var a = straight.Model.state_dict();
        var b = resumed.Model.state_dict();
        foreach (var key in a.Keys) TensorAssert.Identical(a[key], b[key], key);
    }
}
