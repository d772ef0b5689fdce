using System.Text.Json.Nodes;
using ElectraLab.Config.Devices;
using ElectraLab.Electra;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Tests.Pretraining;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;

namespace ElectraLab.Tests.Devices;

/// <summary>A run with `precision: auto` resolves it on its device and records what it chose and why.</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class PrecisionSelectionTests
{
    /// <summary>What auto must become on this machine's CPU, whichever machine runs the test.</summary>
    private static readonly PrecisionChoice ThisCpu = PrecisionChoice.Resolve("auto", ComputeFeatures.Cpu(ComputeFeatures.ThisCpuFlags()));

    [Fact]
    public void OnTheCpu_AutoFollowsThisCpusFlags()
    {
        Assert.Equal(ThisCpu, PrecisionSelection.Resolve("auto", CPU));
        Assert.Equal("fp32", PrecisionSelection.Resolve("fp32", CPU).Resolved);
    }

    [Fact]
    public void Pretrainer_ResolvesAuto_AndItsCheckpointRecordsTheChoiceAndReason()
    {
        var special = new SpecialTokens(Pad: 0, Cls: 2, Sep: 3, Mask: 4);
        var config = PretrainerTests.Micro("precision=auto", "num_train_steps=1");
        using var trainer = new Pretrainer(config, RandomTokenSource.Factory(config.TrainBatchSize, config.MaxSeqLength, config.VocabSize, 5, special), special, CPU);
        Assert.Equal(ThisCpu.Resolved, trainer.Config.Precision);
        Assert.Equal(ThisCpu.Description, trainer.PrecisionDescription);
        Assert.StartsWith("auto -> ", trainer.PrecisionDescription);

        var folder = trainer.SaveCheckpoint(TestPaths.TempDirectory("auto-precision"));
        var state = JsonNode.Parse(File.ReadAllText(Path.Combine(folder, "state.json")))!;
        var recorded = state.AsObject().Select(kv => kv.Value).OfType<JsonObject>().Single(o => o.ContainsKey("precision"));
        Assert.Equal(ThisCpu.Resolved, (string?)recorded["precision"]);
        Assert.Equal(ThisCpu.Description, (string?)recorded["precision_choice"]);
    }
}
