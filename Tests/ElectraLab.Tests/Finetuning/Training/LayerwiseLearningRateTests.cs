using System.Text.RegularExpressions;
using ElectraLab.Electra.Finetuning;
using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Support;
using TorchSharp;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Tests.Finetuning.Training;

/// <summary>Layer-wise LR multipliers against the official `_get_layer_lrs` applied to the TF variable names.</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed partial class LayerwiseLearningRateTests
{
    /// <summary>
    /// E-opt L181-193 on a TF-style name: key_to_depths = {"/embeddings/": 0, "/embeddings_project/": 0,
    /// "encoder/layer_i/": i + 1, "task_specific/": n + 2}; lr · decay^(n + 2 - depth) of the one key the name contains.
    /// </summary>
    private static double Official(string hfName, int layers, double decay)
    {
        var tf = hfName.StartsWith("electra.", StringComparison.Ordinal)
            ? "electra/" + LayerIndex().Replace(hfName["electra.".Length..], "encoder/layer_$1/").Replace("embeddings_project.", "embeddings_project/").Replace("embeddings.", "embeddings/")
            : "task_specific/" + hfName;
        var depths = new Dictionary<string, int> { ["/embeddings/"] = 0, ["/embeddings_project/"] = 0, ["task_specific/"] = layers + 2 };
        for (int i = 0; i < layers; i++) depths[$"encoder/layer_{i}/"] = i + 1;
        var matches = depths.Where(kv => tf.Contains(kv.Key, StringComparison.Ordinal)).ToList();
        Assert.True(matches.Count == 1, $"{hfName} ({tf}) matches {matches.Count} official keys");
        return Math.Pow(decay, layers + 2 - matches[0].Value);
    }

    [GeneratedRegex(@"^encoder\.layer\.(\d+)\.")]
    private static partial Regex LayerIndex();

    [Theory]
    [InlineData(16, 0.8)]   // embeddings_project present (E 16 → H 32)
    [InlineData(32, 0.9)]   // no projection
    public void EveryParameterOfBothTaskModels_GetsTheOfficialMultiplier(int embedding, double decay)
    {
        var config = new ElectraConfig { VocabSize = 99, EmbeddingSize = embedding, HiddenSize = 32, NumHiddenLayers = 3, NumAttentionHeads = 4, IntermediateSize = 37 };
        using var classifier = new ElectraForSequenceClassification(config, 3);
        using var qa = new ElectraForQuestionAnswering(config);
        var names = classifier.named_parameters().Select(p => p.name).Concat(qa.named_parameters().Select(p => p.name)).ToList();
        Assert.Contains(names, n => n.StartsWith("classifier.", StringComparison.Ordinal));
        Assert.Contains(names, n => n.StartsWith("qa_outputs.", StringComparison.Ordinal));
        Assert.Equal(embedding != 32, names.Any(n => n.StartsWith("electra.embeddings_project.", StringComparison.Ordinal)));
        foreach (var name in names)
            Assert.Equal(Official(name, 3, decay), LayerwiseLearningRate.Scale(name, 3, decay), 15);
    }

    [Fact]
    public void Base_EmbeddingsGetDecayTo14_TopLayerDecaySquared_HeadOne()
    {
        Assert.Equal(Math.Pow(0.8, 14), LayerwiseLearningRate.Scale("electra.embeddings.word_embeddings.weight", 12, 0.8), 15);
        Assert.Equal(0.64, LayerwiseLearningRate.Scale("electra.encoder.layer.11.output.dense.weight", 12, 0.8), 15);
        Assert.Equal(Math.Pow(0.8, 13), LayerwiseLearningRate.Scale("electra.encoder.layer.0.attention.self.query.weight", 12, 0.8), 15);
        Assert.Equal(1.0, LayerwiseLearningRate.Scale("classifier.out_proj.bias", 12, 0.8));
        Assert.Equal(1.0, LayerwiseLearningRate.Scale("electra.encoder.layer.5.output.dense.weight", 12, 1.0));
    }

    [Fact]
    public void ABackboneNameOutsideTheOfficialMap_IsAnError()
    {
        var e = Assert.Throws<ArgumentException>(() => LayerwiseLearningRate.Scale("electra.encoder.layer.12.output.dense.weight", 12, 0.8));
        Assert.Contains("electra.encoder.layer.12", e.Message);
        Assert.Throws<ArgumentException>(() => LayerwiseLearningRate.Scale("electra.pooler.dense.weight", 12, 0.8));
    }
}
