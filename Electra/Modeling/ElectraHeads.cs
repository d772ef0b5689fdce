// Task heads with HF's module and tensor names. Each reads the encoder's final hidden states.
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Electra.Modeling;

/// <summary>
/// Replaced-token detection (HF ElectraDiscriminatorPredictions, E-run L183-218): dense H->H, activation,
/// dense H->1. One logit per token; positive = replaced.
/// </summary>
public sealed class DiscriminatorHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly Linear dense_prediction;
    private readonly string _activation;

    public DiscriminatorHead(ElectraConfig config) : base(nameof(DiscriminatorHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        dense_prediction = nn.Linear(config.HiddenSize, 1);
        _activation = config.HiddenAct;
        RegisterComponents();
        // TF's tf.layers.dense default (Glorot uniform); the official head sets no initializer.
        ElectraInit.Glorot(dense);
        ElectraInit.Glorot(dense_prediction);
    }

    /// <summary>(B, T, H) -> (B, T)</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var projected = MixedPrecision.Linear(dense, hidden);
        using var activated = Activations.Apply(_activation, projected);
        using var logits = MixedPrecision.Linear(dense_prediction, activated);  // (B, T, 1)
        return logits.squeeze(-1);
    }
}

/// <summary>
/// The generator's transform before the tied output layer (HF ElectraGeneratorPredictions, E-run
/// get_token_logits): dense H_g->E, GELU (always exact, whatever hidden_act says), LayerNorm(E).
/// </summary>
public sealed class GeneratorHead : nn.Module<Tensor, Tensor>
{
    private readonly LayerNorm LayerNorm;
    private readonly Linear dense;

    public GeneratorHead(ElectraConfig config) : base(nameof(GeneratorHead))
    {
        LayerNorm = nn.LayerNorm(config.EmbeddingSize, eps: config.LayerNormEps);
        dense = nn.Linear(config.HiddenSize, config.EmbeddingSize);
        RegisterComponents();
    }

    public override Tensor forward(Tensor hidden)
    {
        using var projected = MixedPrecision.Linear(dense, hidden);
        using var activated = F.gelu(projected);
        return MixedPrecision.LayerNorm(LayerNorm, activated);
    }
}

/// <summary>
/// Sequence classification/regression (HF ElectraClassificationHead): the final [CLS] state, dropout, dense
/// H->H, GELU, dropout, out_proj H->labels. One label means regression (STS-B).
/// </summary>
public sealed class ClassificationHead : nn.Module<Tensor, Tensor>
{
    private readonly Linear dense;
    private readonly FastDropout dropout;
    private readonly Linear out_proj;

    public ClassificationHead(ElectraConfig config, int numLabels) : base(nameof(ClassificationHead))
    {
        dense = nn.Linear(config.HiddenSize, config.HiddenSize);
        dropout = new FastDropout(config.ClassifierDropout ?? config.HiddenDropoutProb);
        out_proj = nn.Linear(config.HiddenSize, numLabels);
        RegisterComponents();
    }

    /// <summary>(B, T, H) -> (B, labels)</summary>
    public override Tensor forward(Tensor hidden)
    {
        using var cls = hidden.select(1, 0);                                // (B, H) at [CLS]
        using var dropped = dropout.forward(cls);
        using var projected = MixedPrecision.Linear(dense, dropped);
        using var activated = F.gelu(projected);
        using var dropped2 = dropout.forward(activated);
        return MixedPrecision.Linear(out_proj, dropped2);
    }
}
