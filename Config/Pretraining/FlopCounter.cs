// Train FLOPs counted exactly as the official flops_computation.py (E-flops): matmuls as 2·m·n, backward = forward
// (hence 2× per example), dense embedding lookups, its per-op constants, and its quirks kept on purpose (the
// attention-output LayerNorm counted as 5 FLOPs, not 5·h) so numbers compare with the paper's Table 1.
// ELECTRA-Small, 1M steps, batch 128, seq 128, 64-wide generator: 1.2937e18.
namespace ElectraLab.Config.Pretraining;

public sealed record TransformerFlops(long Hidden, long Layers, long Seq = 512, long Vocab = 30522, long? Embedding = null,
    long? Intermediate = null, double OutputFraction = 0.15625)
{
    const double Dropout = 4, LayerNorm = 5, Activation = 8, Softmax = 5;

    long E => Embedding ?? Hidden;
    long I => Intermediate ?? Hidden * 4;
    long Heads => Math.Max(Hidden / 64, 1);

    /// <summary>Forward FLOPs of one transformer block over the whole sequence.</summary>
    public double Block()
    {
        double h = Hidden, s = Seq, heads = Heads, kqv = Hidden, i = I;
        double perToken =
            3 * 2 * h * kqv + 3 * kqv
            + 2 * kqv * s + Softmax * s * heads + Dropout * s * heads + s * heads
            + 2 * h * s
            + 2 * h * h + h + Dropout * h + h + LayerNorm
            + 2 * h * i + Activation * i + i
            + 2 * h * i + h + Dropout * h + h + LayerNorm * h;
        return perToken * s;
    }

    /// <summary>Input embeddings (output = false) or the MLM output softmax on output_frac of tokens.</summary>
    public double Embeddings(bool output)
    {
        double e = E, h = Hidden, s = Seq, v = Vocab;
        double flops = 2 * e * v;
        if (!output) flops += 2 * e * (s + 2) + 2 * e + LayerNorm * e + Dropout * e;
        if (e != h || output) flops += 2 * h * e + (output ? e : h);
        if (output)
        {
            flops += Activation * e + LayerNorm * e + Softmax * v + 2 * v;
            return OutputFraction * flops * s;
        }
        return flops * s;
    }

    public double BinaryClassification()
    {
        double h = Hidden;
        return (2 * h * h + h + Activation * h + 2 * h) * Seq;
    }

    /// <summary>Forward + backward FLOPs of one step at this batch size.</summary>
    public double TrainStep(long batch, bool discriminator) =>
        2.0 * batch * (Layers * Block() + Embeddings(false) + (discriminator ? BinaryClassification() : Embeddings(true)));
}

public static class FlopCounter
{
    /// <summary>Train FLOPs of one optimizer step for a config, generator included.</summary>
    public static double PerStep(PretrainingConfig config, PretrainingPhase phase = PretrainingPhase.Joint)
    {
        var d = config.DiscriminatorConfig();
        var g = config.GeneratorConfig();
        long s = config.MaxSeqLength, b = config.TrainBatchSize;
        bool tied = config.SharingKind != WeightSharing.None;
        var disc = new TransformerFlops(d.HiddenSize, d.NumHiddenLayers, s, d.VocabSize, d.EmbeddingSize, d.IntermediateSize);
        var gen = new TransformerFlops(g.HiddenSize, g.NumHiddenLayers, s, g.VocabSize, tied ? g.EmbeddingSize : null, g.IntermediateSize);
        return config.ObjectiveKind switch
        {
            // BERT baseline: the discriminator-size model with an MLM output (E-flops bert_small).
            Objective.Mlm => disc.TrainStep(b, discriminator: false),
            Objective.ReplaceMlm => gen.TrainStep(b, false) + disc.TrainStep(b, false),
            // Outputs at every token plus the copy head's binary classifier.
            Objective.AllTokensMlm => gen.TrainStep(b, false) + (disc with { OutputFraction = 1.0 }).TrainStep(b, false)
                                      + 2.0 * b * disc.BinaryClassification(),
            _ => phase switch
            {
                PretrainingPhase.GeneratorOnly => gen.TrainStep(b, false),
                // Frozen generator: forward only.
                PretrainingPhase.DiscriminatorOnly => disc.TrainStep(b, true) + gen.TrainStep(b, false) / 2,
                _ => disc.TrainStep(b, true) + gen.TrainStep(b, false),
            },
        };
    }
}
