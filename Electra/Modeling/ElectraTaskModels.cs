// The four model classes a researcher exchanges with Hugging Face, with the same state-dict layout:
// ElectraForPreTraining (discriminator), ElectraForMaskedLM (generator), ElectraForSequenceClassification,
// ElectraForQuestionAnswering.
using TorchSharp.Modules;
using static TorchSharp.torch;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Electra.Modeling;

/// <summary>A model with an ELECTRA backbone under "electra." and one task head.</summary>
public abstract class ElectraTaskModel : nn.Module
{
    protected ElectraTaskModel(string name) : base(name) { }

    public abstract ElectraModel Backbone { get; }
    public ElectraConfig Config => Backbone.Config;

    /// <summary>The HF architecture name written to config.json "architectures".</summary>
    public abstract string HfArchitecture { get; }
}

/// <summary>The discriminator: one replaced/original logit per token.</summary>
public sealed class ElectraForPreTraining : ElectraTaskModel
{
    private readonly ElectraModel electra;
    private readonly DiscriminatorHead discriminator_predictions;

    public ElectraForPreTraining(ElectraConfig config, ElectraEmbeddings? sharedEmbeddings = null) : base(nameof(ElectraForPreTraining))
    {
        electra = new ElectraModel(config, sharedEmbeddings);
        discriminator_predictions = new DiscriminatorHead(config);
        RegisterComponents();
    }

    public override ElectraModel Backbone => electra;
    public override string HfArchitecture => "ElectraForPreTraining";
    public DiscriminatorHead Head => discriminator_predictions;

    /// <summary>(B, T) -> (B, T) logits.</summary>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var hidden = electra.forward(inputIds, attentionMask, tokenTypeIds);
        return discriminator_predictions.forward(hidden);
    }
}

/// <summary>
/// The generator: a masked LM whose output layer reuses the word-embedding table (E-run L254-268,
/// HF _tied_weights_keys) plus its own output bias.
/// </summary>
public sealed class ElectraForMaskedLM : ElectraTaskModel
{
    private readonly ElectraModel electra;
    private readonly GeneratorHead generator_predictions;
    private readonly Linear generator_lm_head;

    public ElectraForMaskedLM(ElectraConfig config, ElectraEmbeddings? sharedEmbeddings = null)
        : this(new ElectraModel(config, sharedEmbeddings)) { }

    /// <summary>A masked LM on an existing encoder (weight_sharing "all": the generator is the discriminator's encoder).</summary>
    public ElectraForMaskedLM(ElectraModel backbone) : base(nameof(ElectraForMaskedLM))
    {
        var config = backbone.Config;
        electra = backbone;
        generator_predictions = new GeneratorHead(config);
        generator_lm_head = nn.Linear(config.EmbeddingSize, config.VocabSize);
        // Tie: the LM head's weight is the embedding table itself, so both state-dict keys name one tensor.
        generator_lm_head.weight = electra.Embeddings.WordEmbeddings.weight!;
        RegisterComponents();
    }

    public override ElectraModel Backbone => electra;
    public override string HfArchitecture => "ElectraForMaskedLM";

    /// <summary>(B, T) -> (B, T, V) logits at every position (HF parity; pre-training uses <see cref="LogitsAt"/>).</summary>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var hidden = electra.forward(inputIds, attentionMask, tokenTypeIds);
        return Logits(hidden);
    }

    /// <summary>(…, H_g) hidden states -> (…, V) vocabulary logits.</summary>
    public Tensor Logits(Tensor hidden)
    {
        using var transformed = generator_predictions.forward(hidden);
        return MixedPrecision.Linear(generator_lm_head, transformed);
    }

    /// <summary>
    /// Logits only at the given positions, as the official code does (E-run L175-178): the vocabulary
    /// projection, the largest matmul of a small model, runs on N masked slots instead of all T tokens.
    /// </summary>
    /// <param name="hidden">(B, T, H_g)</param>
    /// <param name="positions">(B, N) int64</param>
    /// <returns>(B, N, V)</returns>
    public Tensor LogitsAt(Tensor hidden, Tensor positions)
    {
        long h = hidden.shape[2];
        using var index = positions.unsqueeze(-1).expand(positions.shape[0], positions.shape[1], h); // (B, N) -> (B, N, H)
        using var gathered = hidden.gather(1, index);                                           // (B, N, H)
        return Logits(gathered);
    }
}

/// <summary>Classification (labels ≥ 2) or regression (1 label) from the final [CLS] state.</summary>
public sealed class ElectraForSequenceClassification : ElectraTaskModel
{
    private readonly ElectraModel electra;
    private readonly ClassificationHead classifier;

    public ElectraForSequenceClassification(ElectraConfig config, int numLabels) : base(nameof(ElectraForSequenceClassification))
    {
        NumLabels = numLabels;
        electra = new ElectraModel(config with { NumLabels = numLabels });
        classifier = new ClassificationHead(config, numLabels);
        RegisterComponents();
    }

    public int NumLabels { get; }
    public override ElectraModel Backbone => electra;
    public override string HfArchitecture => "ElectraForSequenceClassification";

    /// <summary>(B, T) -> (B, labels).</summary>
    public Tensor Forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var hidden = electra.forward(inputIds, attentionMask, tokenTypeIds);
        return classifier.forward(hidden);
    }
}

/// <summary>Extractive QA (HF ElectraForQuestionAnswering): a linear H->2; channel 0 = start, 1 = end.</summary>
public sealed class ElectraForQuestionAnswering : ElectraTaskModel
{
    private readonly ElectraModel electra;
    private readonly Linear qa_outputs;

    public ElectraForQuestionAnswering(ElectraConfig config) : base(nameof(ElectraForQuestionAnswering))
    {
        electra = new ElectraModel(config);
        qa_outputs = nn.Linear(config.HiddenSize, 2);
        RegisterComponents();
    }

    public override ElectraModel Backbone => electra;
    public override string HfArchitecture => "ElectraForQuestionAnswering";

    /// <summary>(B, T) -> start and end logits, each (B, T).</summary>
    public (Tensor Start, Tensor End) Forward(Tensor inputIds, Tensor attentionMask, Tensor tokenTypeIds)
    {
        using var hidden = electra.forward(inputIds, attentionMask, tokenTypeIds);
        using var logits = MixedPrecision.Linear(qa_outputs, hidden);        // (B, T, 2)
        var parts = logits.split(1, -1);
        return (parts[0].squeeze(-1), parts[1].squeeze(-1));
    }
}
