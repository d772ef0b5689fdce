namespace ElectraLab.Config.Modeling;

/// <summary>
/// Parameter counts from a config alone, without building the model (the scheduler records an experiment's size at
/// submission, where no libtorch is loaded). They equal the built modules' counts (ParameterCountTests).
/// </summary>
public static class ParameterCount
{
    /// <summary>The discriminator as Hugging Face's ElectraForPreTraining: encoder plus the replaced-token head.</summary>
    public static long Discriminator(ElectraConfig c) => Encoder(c) + Linear(c.HiddenSize, c.HiddenSize) + Linear(c.HiddenSize, 1);

    /// <summary>The ELECTRA encoder: embeddings (with their LayerNorm), the projection when E ≠ H, and the layers.</summary>
    public static long Encoder(ElectraConfig c)
    {
        long e = c.EmbeddingSize, h = c.HiddenSize, i = c.IntermediateSize;
        var embeddings = (c.VocabSize + c.MaxPositionEmbeddings + c.TypeVocabSize) * e + 2 * e;
        var projection = e == h ? 0 : Linear(e, h);
        var layer = 4 * Linear(h, h) + 2 * h + Linear(h, i) + Linear(i, h) + 2 * h;
        return embeddings + projection + c.NumHiddenLayers * layer;
    }

    private static long Linear(long input, long output) => input * output + output;
}
