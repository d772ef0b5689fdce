using System.Text.Json.Nodes;
using ElectraLab.Cli.Commands.Stack;
using ElectraLab.Sweeps;

namespace ElectraLab.Api.Tests;

/// <summary>The demo's sweep is a valid spec, and pins fp32 for pre-training and fine-tuning so its numbers hold on any CPU.</summary>
[Trait("Category", "Unit")]
public sealed class DemoSweepSpecTests
{
    [Fact]
    public void DemoSpec_Validates_AndPinsFp32()
    {
        var text = DemoSweep.Spec("local", "/data/demo");
        var spec = SweepSpecLoader.FromYaml(text);
        var experiments = SweepExpander.Expand(Guid.Empty, spec);
        Assert.Equal(["electra", "mlm"], experiments.Select(e => JsonNode.Parse(e.ConfigJson)!["objective"]!.GetValue<string>()));
        Assert.All(experiments, e => Assert.Equal("fp32", JsonNode.Parse(e.ConfigJson)!["precision"]!.GetValue<string>()));
        Assert.Equal("fp32", JsonNode.Parse(spec.Evaluations.FinetuneConfigJson!)!["precision"]!.GetValue<string>());
    }
}
