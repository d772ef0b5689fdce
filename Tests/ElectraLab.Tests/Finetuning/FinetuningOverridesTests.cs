using System.Text.Json.Nodes;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Config.Finetuning;

namespace ElectraLab.Tests.Finetuning;

/// <summary>Fine-tuning overrides as a JSON object (a sweep's evaluation.finetune) follow the rules of `--set`.</summary>
[Trait("Category", "Unit")]
public sealed class FinetuningOverridesTests
{
    private static readonly FinetuningTask[] Tasks = [FinetuningTask.Parse("CoLA"), FinetuningTask.Parse("squad2")];

    [Fact]
    public void KnownKeysAndGoodValues_Pass()
    {
        var overrides = new JsonObject { ["learning_rate"] = 1e-4, ["train_batch_size"] = 16, ["device"] = "cpu" };
        FinetuningConfigLoader.CheckOverrides(overrides, "small", Tasks);
        Assert.Equal(["learning_rate=0.0001", "train_batch_size=16", "device=cpu"], FinetuningConfigLoader.ToSets(overrides));
    }

    [Theory]
    [InlineData("learning_rat", "0.1")]                 // unknown
    [InlineData("train_batch_size", "\"many\"")]        // wrong type
    [InlineData("train_batch_size", "2147483648")]      // beyond an int
    [InlineData("learning_rate", "\"Infinity\"")]
    [InlineData("learning_rate", "[1]")]
    [InlineData("num_train_epochs", "1e300")]
    [InlineData("layerwise_lr_decay", "2")]
    [InlineData("model_size", "\"huge\"")]
    public void BadKeysAndValues_NameTheKey(string key, string json)
    {
        var overrides = new JsonObject { [key] = JsonNode.Parse(json) };
        var error = Assert.Throws<ArgumentException>(() => FinetuningConfigLoader.CheckOverrides(overrides, "small", Tasks));
        Assert.Contains($"'{key}'", error.Message);
    }
}
