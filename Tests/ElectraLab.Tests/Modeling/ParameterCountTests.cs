using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Support;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Tests.Modeling;

[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class ParameterCountTests
{
    /// <summary>The analytic count equals the built module's, with and without the embedding projection.</summary>
    [Theory]
    [InlineData("small", 128)]
    [InlineData("base", 768)]
    [InlineData("small", 256)]
    public void AnalyticCount_EqualsTheBuiltDiscriminator(string preset, int embedding)
    {
        var config = ElectraPresets.Discriminator(preset, vocabSize: 1000) with { EmbeddingSize = embedding, NumHiddenLayers = 2 };
        using var model = new ElectraForPreTraining(config);
        var built = model.parameters().Sum(p => p.numel());
        Assert.Equal(built, ParameterCount.Discriminator(config));
    }

    /// <summary>The full ELECTRA-Small discriminator, counted and built: the paper's "14M" (Table 1).</summary>
    [Fact]
    public void ElectraSmall_IsThePapersFourteenMillion()
    {
        var config = ElectraPresets.Discriminator("small");
        using var model = new ElectraForPreTraining(config);
        var counted = ParameterCount.Discriminator(config);
        Assert.Equal(model.parameters().Sum(p => p.numel()), counted);
        Assert.InRange(counted, 13_500_000, 14_000_000);
    }
}
