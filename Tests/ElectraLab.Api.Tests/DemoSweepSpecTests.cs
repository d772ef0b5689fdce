using System.Text.Json.Nodes;
using ElectraLab.Cli.Commands.Stack;
using ElectraLab.Sweeps;

namespace ElectraLab.Api.Tests;

/// <summary>
/// The demo's sweep is a valid spec of three arms (ELECTRA, MLM, the no-pre-training row), and pins fp32 for
/// pre-training and fine-tuning so its numbers hold on any CPU.
/// </summary>
[Trait("Category", "Unit")]
public sealed class DemoSweepSpecTests
{
    [Fact]
    public void DemoSpec_Validates_AndPinsFp32()
    {
        var text = DemoSweep.Spec("local", "/data/demo");
        var spec = SweepSpecLoader.FromYaml(text);
        var experiments = SweepExpander.Expand(Guid.Empty, spec);
        var arms = experiments.Select(e => JsonNode.Parse(e.ConfigJson)!)
            .Select(c => $"{c["objective"]!.GetValue<string>()}:{c["num_train_steps"]!.GetValue<long>()}").Order();
        Assert.Equal(["electra:0", "electra:150", "mlm:150"], arms);
        Assert.All(experiments, e => Assert.Equal("fp32", JsonNode.Parse(e.ConfigJson)!["precision"]!.GetValue<string>()));
        Assert.Equal("fp32", JsonNode.Parse(spec.Evaluations.FinetuneConfigJson!)!["precision"]!.GetValue<string>());
    }
}
