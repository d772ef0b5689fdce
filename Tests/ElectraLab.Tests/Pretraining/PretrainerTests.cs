using ElectraLab.Electra.Pretraining;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Tests.Pretraining;

[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class PretrainerTests
{
    static readonly SpecialTokens Special = new(Pad: 0, Cls: 2, Sep: 3, Mask: 4);

    /// <summary>A micro ELECTRA (hidden 32, 2 layers, seq 16) on synthetic data.</summary>
    internal static PretrainingConfig Micro(params string[] sets) => PretrainingConfigLoader.Load(null,
    [
        "model_size=small", "vocab_size=120", "embedding_size=16", "max_seq_length=16", "train_batch_size=4",
        """model_hparam_overrides={"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 4, "intermediate_size": 64}""",
        "generator_hidden_size=0.5", "num_train_steps=40", "num_warmup_steps=4", "learning_rate=2e-3",
        "save_checkpoints_steps=1000", "log_every=1000", "seed=11", "precision=fp32", .. sets,
    ]);

    static BatchSourceFactory Data(PretrainingConfig c) => RandomTokenSource.Factory(c.TrainBatchSize, c.MaxSeqLength, c.VocabSize, 5, Special);

    [Fact]
    public void Resume_KStepsSaveLoadRest_GivesIdenticalWeightsToAStraightRun()
    {
        var config = Micro("num_train_steps=12");
        var root = TestPaths.TempDirectory("resume");

        using var straight = new Pretrainer(config, Data(config), Special);
        straight.Train();

        using (var first = new Pretrainer(config, Data(config), Special))
        {
            first.Train(untilStep: 5);
            first.SaveCheckpoint(root);
        }
        using var resumed = new Pretrainer(config, Data(config), Special);
        resumed.LoadCheckpoint(PretrainingCheckpoint.Latest(root)!);
        Assert.Equal(5, resumed.Step);
        resumed.Train();

        Assert.Equal(12, resumed.Step);
        Assert.Equal(straight.TrainFlops, resumed.TrainFlops);
        var a = straight.Model.state_dict();
        var b = resumed.Model.state_dict();
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        foreach (var key in a.Keys) TensorAssert.Identical(a[key], b[key], key);
    }

    [Theory]
    [InlineData("objective=electra")]
    [InlineData("objective=electra-15")]
    [InlineData("objective=mlm")]
    [InlineData("objective=replace-mlm")]
    [InlineData("objective=all-tokens-mlm")]
    [InlineData("weight_sharing=none")]
    [InlineData("weight_sharing=all", "generator_hidden_size=1.0")]
    public void EveryObjectiveAndSharingMode_RunsAndReportsFiniteMetrics(params string[] sets)
    {
        var config = Micro([.. sets, "num_train_steps=6", "log_every=3"]);
        using var trainer = new Pretrainer(config, Data(config), Special);
        var metrics = new List<TrainingMetrics>();
        trainer.Train(onMetrics: metrics.Add);
        Assert.Equal(2, metrics.Count);
        foreach (var m in metrics)
        {
            Assert.True(double.IsFinite(m.MlmLoss) && m.MlmLoss > 0, $"mlm_loss {m.MlmLoss}");
            Assert.True(double.IsFinite(m.DiscLoss), $"disc_loss {m.DiscLoss}");
            Assert.True(m.TrainFlops > 0);
        }
        Assert.Equal(FlopCounter.PerStep(config) * 6, trainer.TrainFlops, 1e-6 * trainer.TrainFlops);
    }

    /// <summary>
    /// disc_prior_gap tells a discriminator that learns from one that only predicts the class prior. The data holds
    /// ids 60-119 only; at temperature 100 the generator samples the whole vocabulary, so half its replacements are
    /// ids the data never has, which the discriminator learns to flag: the gap grows well above 0. MLM has no
    /// discriminator: no gap.
    /// </summary>
    [Fact]
    public void DiscPriorGap_GrowsWhenReplacementsAreDetectable_AndIsAbsentWithoutADiscriminator()
    {
        Assert.Equal(Math.Log(2), TrainingMetrics.PriorEntropy(0.5), 12);
        Assert.Equal(0, TrainingMetrics.PriorEntropy(0));
        Assert.Equal(0, TrainingMetrics.PriorEntropy(1));

        var easy = Micro("temperature=100", "num_train_steps=60", "log_every=20");
        using (var trainer = new Pretrainer(easy, Data(easy), Special))
        {
            var metrics = new List<TrainingMetrics>();
            trainer.Train(onMetrics: metrics.Add);
            var gaps = metrics.Select(m => m.DiscPriorGap!.Value).ToList();
            Assert.True(gaps[^1] > 0.05, $"gaps {string.Join(", ", gaps.Select(g => g.ToString("F4")))}");
            var last = metrics[^1];
            Assert.Equal(last.DiscPriorGap!.Value, last.AsPairs().Single(p => p.Key == "disc_prior_gap").Value);
        }

        var mlm = Micro("objective=mlm", "num_train_steps=6", "log_every=3");
        using (var trainer = new Pretrainer(mlm, Data(mlm), Special))
        {
            var metrics = new List<TrainingMetrics>();
            trainer.Train(onMetrics: metrics.Add);
            Assert.All(metrics, m => Assert.Null(m.DiscPriorGap));
            Assert.DoesNotContain(metrics[^1].AsPairs(), p => p.Key == "disc_prior_gap");
        }
    }

    [Fact]
    public void EmbeddingSharing_SharesEmbeddingsAndLayerNorm_TiesTheLmHead()
    {
        using var model = new PretrainingModel(Micro());
        var p = model.state_dict();
        SameTensor(p["discriminator.electra.embeddings.word_embeddings.weight"], p["generator.electra.embeddings.word_embeddings.weight"]);
        SameTensor(p["discriminator.electra.embeddings.LayerNorm.weight"], p["generator.electra.embeddings.LayerNorm.weight"]);
        SameTensor(p["generator.electra.embeddings.word_embeddings.weight"], p["generator.generator_lm_head.weight"]);
        NotSameTensor(p["discriminator.electra.encoder.layer.0.attention.self.query.weight"], p["generator.electra.encoder.layer.0.attention.self.query.weight"]);

        using var separate = new PretrainingModel(Micro("weight_sharing=none"));
        var q = separate.state_dict();
        NotSameTensor(q["discriminator.electra.embeddings.word_embeddings.weight"], q["generator.electra.embeddings.word_embeddings.weight"]);

        using var all = new PretrainingModel(Micro("weight_sharing=all", "generator_hidden_size=1.0"));
        var r = all.state_dict();
        SameTensor(r["discriminator.electra.encoder.layer.1.output.dense.weight"], r["generator.electra.encoder.layer.1.output.dense.weight"]);

        // The optimizer and the clipping norm see each tensor once: a tied table listed twice was updated twice a
        // step (two sets of moments) and counted twice in the global norm.
        foreach (var m in new[] { model, separate, all })
        {
            var unique = m.UniqueParameters();
            for (int i = 0; i < unique.Count; i++)
                for (int j = i + 1; j < unique.Count; j++)
                    NotSameTensor(unique[i].Parameter, unique[j].Parameter);
        }
        Assert.DoesNotContain(model.UniqueParameters(), u => u.Name == "generator.generator_lm_head.weight");
    }

    /// <summary>Two names of one storage: a change through one is seen through the other.</summary>
    static bool Shares(Tensor a, Tensor b)
    {
        using var _ = no_grad();
        using var before = b.clone();
        a.add_(1);
        bool shared = !before.eq(b).all().item<bool>();
        a.sub_(1);
        return shared;
    }

    static void SameTensor(Tensor a, Tensor b) => Assert.True(Shares(a, b), "expected one shared tensor");
    static void NotSameTensor(Tensor a, Tensor b) => Assert.False(Shares(a, b), "expected separate tensors");

    [Fact]
    public void TwoStage_TrainsTheGeneratorFirst_ThenADiscriminatorStartedFromIt_WithTheGeneratorFrozen()
    {
        var config = Micro("training_algorithm=two-stage", "weight_sharing=none", "generator_hidden_size=1.0", "num_train_steps=8", "two_stage_generator_steps=4");
        using var trainer = new Pretrainer(config, Data(config), Special);
        var discBefore = trainer.Model.Backbone.state_dict()["encoder.layer.0.output.dense.weight"].clone();
        trainer.Train(untilStep: 4);
        // Stage 1 never touches the discriminator.
        TensorAssert.Identical(discBefore, trainer.Model.Backbone.state_dict()["encoder.layer.0.output.dense.weight"], "discriminator during stage 1");

        trainer.TrainStep();   // step 4: the discriminator starts from the generator
        var generator = trainer.Model.Generator!.Backbone.state_dict();
        Assert.All(trainer.Model.Generator!.parameters(), p => Assert.False(p.requires_grad));
        var genAfterFirst = generator["encoder.layer.0.output.dense.weight"].clone();
        trainer.Train();
        TensorAssert.Identical(genAfterFirst, trainer.Model.Generator!.Backbone.state_dict()["encoder.layer.0.output.dense.weight"], "frozen generator");
        Assert.Equal(PretrainingPhase.DiscriminatorOnly, trainer.Phase);
    }

    [Fact]
    public void Cancellation_StopsBetweenSteps()
    {
        var config = Micro();
        using var trainer = new Pretrainer(config, Data(config), Special);
        using var cancel = new CancellationTokenSource();
        trainer.Train(onMetrics: null, cancellation: cancel.Token, untilStep: 3);
        cancel.Cancel();
        trainer.Train(cancellation: cancel.Token);
        Assert.Equal(3, trainer.Step);
    }
}
