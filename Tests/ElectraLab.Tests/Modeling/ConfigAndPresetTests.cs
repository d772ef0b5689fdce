using System.Text.Json.Nodes;
using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Support;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Tests.Modeling;

[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class ConfigAndPresetTests
{
    [Fact]
    public void Config_RoundTrip_KeepsUnknownFields()
    {
        var source = JsonNode.Parse(File.ReadAllText(Path.Combine(TestPaths.HfFixtures, "proj", "config.json")))!.AsObject();
        source["some_future_field"] = new JsonObject { ["nested"] = 7 };
        var config = ElectraConfig.FromJson(source);
        Assert.Equal(16, config.EmbeddingSize);
        Assert.Equal(32, config.HiddenSize);
        Assert.Equal(37, config.IntermediateSize);
        Assert.Null(config.ClassifierDropout);

        var written = config.ToJson();
        Assert.Equal(7, written["some_future_field"]!["nested"]!.GetValue<int>());
        Assert.Equal("first", written["summary_type"]!.GetValue<string>());
        Assert.Equal("ElectraForPreTraining", written["architectures"]![0]!.GetValue<string>());
        foreach (var (key, value) in source)
            Assert.True(written.ContainsKey(key), $"field '{key}' lost on write");
        Assert.True(JsonNode.DeepEquals(written, ElectraConfig.FromJson(written).ToJson()), "a second round trip changed the config");
    }

    [Theory]
    [InlineData("hidden_act", "\"swish\"", "hidden_act")]
    [InlineData("num_attention_heads", "5", "num_attention_heads")]
    [InlineData("hidden_size", "\"wide\"", "hidden_size")]
    public void Config_RejectsImpossibleValues_NamingTheField(string key, string json, string named)
    {
        var source = new JsonObject { [key] = JsonNode.Parse(json) };
        var error = Assert.Throws<InvalidDataException>(() => ElectraConfig.FromJson(source));
        Assert.Contains($"'{named}'", error.Message);
    }

    [Theory]
    // Encoder-only parameter counts from ELECTRA-REFERENCE §1.1 (computed): 13.48M / 108.9M / 334.1M.
    [InlineData("small", 256, 12, 4, 1024, 128, 13.48e6)]
    [InlineData("base", 768, 12, 12, 3072, 768, 108.9e6)]
    [InlineData("large", 1024, 24, 16, 4096, 1024, 334.1e6)]
    public void Presets_HaveThePapersSizes(string name, int hidden, int layers, int heads, int ffn, int embedding, double parameters)
    {
        var config = ElectraPresets.Discriminator(name);
        Assert.Equal((hidden, layers, heads, ffn, embedding), (config.HiddenSize, config.NumHiddenLayers, config.NumAttentionHeads, config.IntermediateSize, config.EmbeddingSize));
        Assert.Equal(64, config.HeadSize);
        using var model = new ElectraModel(config);
        long count = model.parameters().Sum(p => p.NumberOfElements);
        Assert.InRange(count, parameters * 0.999, parameters * 1.001);
    }

    [Theory]
    // Paper Table 6: small 1/4 -> 64 wide, 1 head, FFN 256; base 1/3 -> 256, 4 heads, 1024; large 1/4 -> 256, 4, 1024.
    [InlineData("small", 64, 1, 256, 12)]
    [InlineData("base", 256, 4, 1024, 12)]
    [InlineData("large", 256, 4, 1024, 24)]
    public void Generator_ShrinksWidthFfnAndHeads_NotDepth(string name, int hidden, int heads, int ffn, int layers)
    {
        var disc = ElectraPresets.Discriminator(name);
        var gen = ElectraPresets.Generator(disc, ElectraPresets.DefaultGeneratorFraction(name));
        Assert.Equal((hidden, heads, ffn, layers), (gen.HiddenSize, gen.NumAttentionHeads, gen.IntermediateSize, gen.NumHiddenLayers));
        Assert.Equal(disc.EmbeddingSize, gen.EmbeddingSize);
    }

    [Fact]
    public void GeneratorAndDiscriminator_CanShareOneEmbeddingModule()
    {
        var disc = ElectraPresets.Discriminator("small", vocabSize: 100) with { NumHiddenLayers = 1 };
        var gen = ElectraPresets.Generator(disc, 0.25);
        using var discriminator = new ElectraForPreTraining(disc);
        using var generator = new ElectraForMaskedLM(gen, discriminator.Backbone.Embeddings);
        var d = discriminator.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var g = generator.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var name in new[] { "word_embeddings.weight", "position_embeddings.weight", "token_type_embeddings.weight", "LayerNorm.weight", "LayerNorm.bias" })
            Assert.Same(d["electra.embeddings." + name], g["electra.embeddings." + name]);
        // Each model keeps its own projection (E-model: embeddings_project lives in each model's scope).
        Assert.NotSame(d["electra.embeddings_project.weight"], g["electra.embeddings_project.weight"]);
        Assert.Equal([256L, 128L], d["electra.embeddings_project.weight"].shape);
        Assert.Equal([64L, 128L], g["electra.embeddings_project.weight"].shape);
    }
}
