// Token + position + segment embeddings at embedding_size, then LayerNorm and dropout (HF ElectraEmbeddings,
// E-model embedding_postprocessor). This module is what the generator and discriminator share by default
// (E-model: scope electra/embeddings with AUTO_REUSE), including the LayerNorm.
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Electra.Modeling;

public sealed class ElectraEmbeddings : nn.Module<Tensor, Tensor, Tensor>
{
    // Field names are the HF state-dict names.
    private readonly Embedding word_embeddings;
    private readonly Embedding position_embeddings;
    private readonly Embedding token_type_embeddings;
    private readonly LayerNorm LayerNorm;
    private readonly FastDropout dropout;
    // Saved by the transformers releases that produced the google/* files (a persistent int64 buffer 0..P-1);
    // kept so an import/export round trip writes the same tensors back.
    private readonly Tensor position_ids;

    public ElectraEmbeddings(ElectraConfig config) : base(nameof(ElectraEmbeddings))
    {
        // No padding_idx (HF sets one; the official TF code does not): pad positions feed no loss, so the pad row's
        // gradient is zero either way (the HF gradient fixtures confirm it), and libtorch's padding_idx backward
        // is several times slower on the CPU.
        word_embeddings = nn.Embedding(config.VocabSize, config.EmbeddingSize);
        position_embeddings = nn.Embedding(config.MaxPositionEmbeddings, config.EmbeddingSize);
        token_type_embeddings = nn.Embedding(config.TypeVocabSize, config.EmbeddingSize);
        LayerNorm = nn.LayerNorm(config.EmbeddingSize, eps: config.LayerNormEps);
        dropout = new FastDropout(config.HiddenDropoutProb);
        using var positions = arange(config.MaxPositionEmbeddings, dtype: int64);
        position_ids = positions.unsqueeze(0);                                  // (P) -> (1, P), a view; the temporary handle is released
        RegisterComponents();
    }

    public Embedding WordEmbeddings => word_embeddings;

    /// <summary>(B, T) ids and segment ids -> (B, T, E), after LayerNorm and dropout.</summary>
    public override Tensor forward(Tensor inputIds, Tensor tokenTypeIds)
    {
        long length = inputIds.shape[1];
        using var positions = position_ids.narrow(1, 0, length);            // (1, T)
        var sum = word_embeddings.forward(inputIds)
            .add_(token_type_embeddings.forward(tokenTypeIds))
            .add_(position_embeddings.forward(positions));                   // (B, T, E) + (1, T, E)
        return dropout.forward(LayerNorm.forward(sum));
    }
}
