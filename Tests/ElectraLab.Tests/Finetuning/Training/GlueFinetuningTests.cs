using System.Diagnostics;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Electra.Finetuning.Glue;
using ElectraLab.Tests.Support;
using Xunit.Abstractions;
using ElectraLab.Config.Finetuning;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Tests.Finetuning.Training;

[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class GlueFinetuningTests(ITestOutputHelper log)
{
    /// <summary>
    /// A tiny encoder from random init, two epochs over the first 16,000 real SST-2 training phrases (1,000 steps), must
    /// beat the majority class on dev (444 / 872 positive = 50.9%) by at least 10 points. From scratch there is nothing
    /// for layer-wise decay to protect, so it is off (1.0), and the learning rate is a from-scratch one (1e-3). Fewer
    /// examples do not work: on 4,000 phrases the model stays at the class prior even after 3 epochs, while the loss
    /// starts to fall after about 6,000 distinct ones. When it leaves the plateau depends on the CPU's kernels: one
    /// epoch reached 77.5% on a VM with AMX and only 56.4% on one without, so two epochs: 78.6% there in ~40 s.
    /// </summary>
    [Fact]
    public void TinyRandomInitModel_OnRealSst2_BeatsTheMajorityClassByTenPoints()
    {
        var task = FinetuningTask.Parse("SST-2");
        var source = BackboneSource.RandomInit(FinetuneTestData.Tiny(), FinetuneTestData.BertVocab);
        var config = FinetuningConfigLoader.Load(task, source.Config,
        [
            "max_seq_length=64", "max_train_examples=16000", "num_train_epochs=2", "learning_rate=3e-4", "layerwise_lr_decay=1.0",
            "train_batch_size=32", "eval_batch_size=128", "log_every=100", "device=cpu", "num_threads=1", "precision=fp32",
        ]);
        var clock = Stopwatch.StartNew();
        var out_ = TestPaths.TempDirectory("sst2");
        FinetuneResults results;
        // One libtorch thread: on a shared 2-core machine intra-op threads spin against other processes (4x slower).
        int threads = TorchSharp.torch.get_num_threads();
        try
        {
            var experiment = FinetuneExperiment.Prepare(task, source, FinetuneTestData.Glue, config);
            results = experiment.Run([1], out_, p => log.WriteLine($"{p.Phase} {p.Step}/{p.TotalSteps} loss {p.Loss:F4} lr {p.LearningRate:E2} {p.ExamplesPerSecond:F0}/s {p.Elapsed}"));
        }
        finally
        {
            TorchSharp.torch.set_num_threads(threads);
        }
        clock.Stop();

        var dev = GlueLoader.Load(GlueTasks.Sst2, FinetuneTestData.Glue, GlueSplit.Dev);
        double majority = dev.LabelCounts.Values.Max() / (double)dev.Examples.Count;
        double accuracy = results.Median!.Value;
        log.WriteLine($"SST-2 dev accuracy {accuracy:P2} (majority {majority:P2}) in {clock.Elapsed.TotalSeconds:F1} s; {results.Seeds[0].TrainSteps} steps");
        Assert.True(accuracy >= majority + 0.10, $"accuracy {accuracy:P2} vs majority {majority:P2}");

        // The kept submission file scores exactly what results.json says (the shared scorer, from the written strings).
        var rescored = GlueEvaluation.ScoreSubmission(dev, GlueSubmission.Read(Path.Combine(out_, "SST-2.tsv")), "SST-2.tsv");
        Assert.Equal(accuracy, rescored.Single().Value);
        Assert.True(File.Exists(Path.Combine(out_, FinetuneResults.FileName)));
    }
}
