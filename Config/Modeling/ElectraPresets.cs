// The paper's model sizes (E-tu get_bert_config, E-cfg, Paper Table 6) and the generator rule of the official
// code (E-run get_generator_config): a generator is the discriminator shrunk in width, FFN and heads, never in
// depth, and it keeps the discriminator's embedding size so the two can share one embedding module.
namespace ElectraLab.Config.Modeling;

public static class ElectraPresets
{
    public static readonly IReadOnlyList<string> Names = ["small", "base", "large"];

    public static ElectraConfig Discriminator(string name, int vocabSize = 30522) => name.ToLowerInvariant() switch
    {
        // Small: hidden 256, 4 heads, embeddings 128 projected to 256 (E-cfg L118-119).
        "small" => Build(vocabSize, hidden: 256, layers: 12, embedding: 128),
        "base" => Build(vocabSize, hidden: 768, layers: 12, embedding: 768),
        "large" => Build(vocabSize, hidden: 1024, layers: 24, embedding: 1024),
        _ => throw new ArgumentException($"unknown model_size '{name}' (small, base, large)", nameof(name)),
    };

    /// <summary>The paper's generator fraction per preset (Paper-T6): 1/4 small, 1/3 base, 1/4 large.</summary>
    public static double DefaultGeneratorFraction(string name) => name.ToLowerInvariant() switch
    {
        "small" => 0.25,
        "base" => 1.0 / 3.0,
        "large" => 0.25,
        _ => throw new ArgumentException($"unknown model_size '{name}' (small, base, large)", nameof(name)),
    };

    /// <summary>
    /// The generator for a discriminator: hidden = round(H·fraction), heads = max(1, hidden/64),
    /// FFN = 4·hidden when the discriminator follows the 4× rule (else scaled by the fraction), same depth,
    /// same embedding size.
    /// </summary>
    public static ElectraConfig Generator(ElectraConfig discriminator, double fraction)
    {
        if (fraction <= 0 || fraction > 1)
            throw new ArgumentOutOfRangeException(nameof(fraction), $"generator_hidden_size must be in (0, 1], got {fraction}");
        int hidden = (int)Math.Round(discriminator.HiddenSize * fraction);
        int heads = discriminator.HeadSize == 64
            ? Math.Max(1, hidden / 64)
            : Math.Max(1, (int)Math.Round(discriminator.NumAttentionHeads * fraction));
        while (hidden % heads != 0) heads--;
        int ffn = discriminator.IntermediateSize == 4 * discriminator.HiddenSize
            ? 4 * hidden
            : Math.Max(1, (int)Math.Round(discriminator.IntermediateSize * fraction));
        return discriminator with { HiddenSize = hidden, NumAttentionHeads = heads, IntermediateSize = ffn };
    }

    static ElectraConfig Build(int vocab, int hidden, int layers, int embedding) => new()
    {
        VocabSize = vocab,
        EmbeddingSize = embedding,
        HiddenSize = hidden,
        NumHiddenLayers = layers,
        NumAttentionHeads = Math.Max(1, hidden / 64),
        IntermediateSize = 4 * hidden,
    };
}
