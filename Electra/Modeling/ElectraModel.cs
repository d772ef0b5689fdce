// The ELECTRA encoder (HF ElectraModel, state-dict prefix "electra."): embeddings at embedding_size, an optional
// embeddings_project to hidden_size (a plain linear, no activation; E-model L224-228), then the post-LN encoder.
// There is no pooler: heads read the final hidden state at [CLS] (E-model L266).
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Electra.Modeling;

/// <summary>Hidden states of one forward pass, for tests and analysis.</summary>
public sealed record ElectraTrace(Tensor EmbeddingOutput, IReadOnlyList<Tensor> HiddenStates);

public sealed class ElectraModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly ElectraEmbeddings embeddings;
    private readonly Linear? embeddings_project;
    private readonly ElectraEncoder encoder;

    /// <param name="sharedEmbeddings">an embedding module owned with another model (generator/discriminator sharing)</param>
    public ElectraModel(ElectraConfig config, ElectraEmbeddings? sharedEmbeddings = null) : base(nameof(ElectraModel))
    {
        Config = config.Validate();
        embeddings = sharedEmbeddings ?? new ElectraEmbeddings(config);
        if (config.EmbeddingSize != config.HiddenSize)
            embeddings_project = nn.Linear(config.EmbeddingSize, config.HiddenSize);
        encoder = new ElectraEncoder(config);
        RegisterComponents();
    }

    public ElectraConfig Config { get; }
    public ElectraEmbeddings Embeddings => embeddings;

    /// <summary>(B, T) ids, (B, T) 1/0 attention mask, (B, T) segment ids -> (B, T, H).</summary>
    public override Tensor forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds) =>
        Forward(inputIds, attentionMask, tokenTypeIds, null);

    public Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds, List<Tensor>? trace)
    {
        using var keyMask = KeyMask(attentionMask);
        var embedded = embeddings.forward(inputIds, tokenTypeIds);           // (B, T, E)
        trace?.Add(embedded);
        Tensor hidden = embedded;
        if (embeddings_project is not null)
        {
            hidden = MixedPrecision.Linear(embeddings_project, embedded);    // (B, T, E) -> (B, T, H)
            if (trace is null) embedded.Dispose();
        }
        trace?.Add(hidden);
        var output = encoder.Forward(hidden, keyMask, trace);
        if (trace is null) hidden.Dispose();
        return output;
    }

    /// <summary>Runs the model and keeps every intermediate the HF fixtures record.</summary>
    public ElectraTrace Trace(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        var states = new List<Tensor>();
        Forward(inputIds, attentionMask, tokenTypeIds, states);
        return new ElectraTrace(states[0], states.Skip(1).ToList());
    }

    // (B, T) -> (B, 1, 1, T): broadcast over heads and queries; true = attend. Null on the CPU when no key is
    // padding (pre-training packs full-length sequences), which saves attention a masking pass forward and backward;
    // on a GPU the check would cost a device sync, so the mask stays.
    private static Tensor? KeyMask(Tensor attentionMask)
    {
        using var asBool = attentionMask.to_type(ScalarType.Bool);
        if (asBool.device.type == TorchSharp.DeviceType.CPU)
        {
            // A local, not a temporary: item() reads its memory after the last call that would keep it alive.
            using var all = asBool.all();
            if (all.item<bool>()) return null;
        }
        return asBool.view(attentionMask.shape[0], 1, 1, attentionMask.shape[1]);
    }
}
