// The models one pre-training run trains, and one training step's losses, for every objective of the paper
// (ELECTRA-REFERENCE §2.3-2.6). State-dict names: "generator.*" (an ElectraForMaskedLM) and "discriminator.*"
// (ElectraForPreTraining for electra/electra-15; a discriminator-size ElectraForMaskedLM for the MLM
// objectives; plus "copy_predictions.*" for all-tokens-mlm). The discriminator is the model that is kept.
using ElectraLab.Electra.Modeling;
using TorchSharp.Modules;
using static TorchSharp.torch;
using F = TorchSharp.torch.nn.functional;
using ElectraLab.Config.Pretraining;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Electra.Pretraining;

public sealed class PretrainingModel : nn.Module
{
    // The kept model is registered first, so parameters it shares with the generator are named after it.
    private readonly nn.Module discriminator;
    private readonly ElectraForMaskedLM? generator;
    private readonly DiscriminatorHead? copy_predictions;

    private readonly PretrainingConfig _config;

    public PretrainingModel(PretrainingConfig config) : base(nameof(PretrainingModel))
    {
        _config = config;
        DiscriminatorConfig = config.DiscriminatorConfig();
        GeneratorConfig = config.GeneratorConfig();
        var objective = config.ObjectiveKind;

        // The kept model first, so shared modules belong to it.
        if (objective is Objective.Electra or Objective.Electra15)
            discriminator = new ElectraForPreTraining(DiscriminatorConfig);
        else
            discriminator = new ElectraForMaskedLM(DiscriminatorConfig);
        var backbone = Backbone;

        if (objective != Objective.Mlm)
        {
            generator = config.SharingKind switch
            {
                WeightSharing.Embeddings => new ElectraForMaskedLM(GeneratorConfig, backbone.Embeddings),
                WeightSharing.All => new ElectraForMaskedLM(backbone),
                _ => new ElectraForMaskedLM(GeneratorConfig),
            };
        }
        if (objective == Objective.AllTokensMlm) copy_predictions = new DiscriminatorHead(DiscriminatorConfig);
        RegisterComponents();

        ElectraInit.TruncatedNormal(this, DiscriminatorConfig.InitializerRange);
        // TF's default Glorot for the binary heads (§6.3); re-applied after the truncated-normal pass.
        if (discriminator is ElectraForPreTraining d) ElectraInit.GlorotHead(d.Head);
        if (copy_predictions is not null) ElectraInit.GlorotHead(copy_predictions);
    }

    public ElectraConfig DiscriminatorConfig { get; }
    public ElectraConfig GeneratorConfig { get; }
    public ElectraForMaskedLM? Generator => generator;
    public nn.Module Discriminator => discriminator;

    public ElectraModel Backbone => discriminator switch
    {
        ElectraForPreTraining p => p.Backbone,
        ElectraForMaskedLM m => m.Backbone,
        _ => throw new InvalidOperationException(),
    };

    /// <summary>The kept model as Hugging Face names it.</summary>
    public ElectraTaskModel KeptModel => (ElectraTaskModel)discriminator;

    /// <summary>
    /// Every trainable parameter once, under its first state-dict name (shared embeddings and the tied LM head
    /// appear under several names but are one tensor).
    /// </summary>
    public IReadOnlyList<(string Name, Parameter Parameter)> UniqueParameters() =>
        TensorStorage.Distinct(named_parameters());

    /// <summary>
    /// One step's forward pass and losses. Returns the loss to differentiate and a vector of statistics
    /// (see <see cref="StepStatistics"/>) that stays on the device until someone reads it.
    /// </summary>
    public (Tensor Loss, Tensor Statistics) Step(DeviceBatch batch, PretrainingPhase phase)
    {
        return _config.ObjectiveKind switch
        {
            Objective.Mlm => MlmStep(batch),
            Objective.ReplaceMlm or Objective.AllTokensMlm => ReplaceStep(batch),
            _ => ElectraStep(batch, phase),
        };
    }

    private (Tensor, Tensor) ElectraStep(DeviceBatch b, PretrainingPhase phase)
    {
        var gen = generator!;
        var disc = (ElectraForPreTraining)discriminator;
        Tensor mlmLoss, genCorrect, sampled;
        if (phase == PretrainingPhase.DiscriminatorOnly)
        {
            // Two-stage, stage 2: the generator is frozen; it only proposes replacements.
            using (no_grad())
            {
                var logits = GeneratorLogits(gen, b);
                (mlmLoss, genCorrect, var logProbs) = MaskedLmLoss(logits, b);
                sampled = Sample(logProbs, b);
            }
        }
        else
        {
            var logits = GeneratorLogits(gen, b);
            (mlmLoss, genCorrect, var logProbs) = MaskedLmLoss(logits, b);
            if (phase == PretrainingPhase.GeneratorOnly)
                return (mlmLoss * _config.GenWeight, Statistics(mlmLoss, zeros_like(mlmLoss), genCorrect, b, null, null, null));
            sampled = Sample(logProbs, b);
        }

        // Fake data (E-run _get_fake_data): the original ids with samples scattered into the masked positions;
        // a sample equal to the original is labelled original.
        var (fakeIds, updated) = ScatterUpdate(b.OriginalIds, sampled, b);
        var labels = updated.logical_and(fakeIds.ne(b.OriginalIds)).to_type(ScalarType.Float32);
        var discLogits = disc.Forward(fakeIds, b.InputMask, b.SegmentIds);
        // electra: every real token (E-run L203-209); electra-15: only the masked positions (Paper §3.5).
        var weights = _config.ObjectiveKind == Objective.Electra15 ? updated.to_type(ScalarType.Float32) : b.InputMaskFloat;
        var perToken = F.binary_cross_entropy_with_logits(MixedPrecision.ToFloat(discLogits), labels, reduction: nn.Reduction.None);
        var discLoss = (perToken * weights).sum() / (weights.sum() + 1e-6);

        var loss = phase == PretrainingPhase.DiscriminatorOnly
            ? discLoss * _config.DiscWeight
            : mlmLoss * _config.GenWeight + discLoss * _config.DiscWeight;
        return (loss, Statistics(mlmLoss, discLoss, genCorrect, b, discLogits, labels, weights));
    }

    private (Tensor, Tensor) MlmStep(DeviceBatch b)
    {
        var model = (ElectraForMaskedLM)discriminator;
        var logits = GeneratorLogits(model, b);
        var (mlmLoss, correct, _) = MaskedLmLoss(logits, b);
        return (mlmLoss * _config.GenWeight, Statistics(mlmLoss, zeros_like(mlmLoss), correct, b, null, null, null));
    }

    /// <summary>replace-mlm and all-tokens-mlm: the generator's samples replace the masked tokens (no [MASK]).</summary>
    private (Tensor, Tensor) ReplaceStep(DeviceBatch b)
    {
        var gen = generator!;
        var main = (ElectraForMaskedLM)discriminator;
        var genLogits = GeneratorLogits(gen, b);
        var (genLoss, genCorrect, genLogProbs) = MaskedLmLoss(genLogits, b);
        var sampled = Sample(genLogProbs, b);
        var (corrupted, _) = ScatterUpdate(b.OriginalIds, sampled, b);
        var hidden = main.Backbone.forward(corrupted, b.InputMask, b.SegmentIds);             // (B, T, H)

        Tensor mainLoss;
        if (_config.ObjectiveKind == Objective.ReplaceMlm)
        {
            var logits = main.LogitsAt(hidden, b.Positions);                                    // (B, N, V)
            (mainLoss, _, _) = MaskedLmLoss(logits, b);
        }
        else
        {
            // All-Tokens MLM with the copy mechanism (Paper §3.5): p(x_t) = D·1[input_t = x_t] + (1 − D)·softmax_t(x_t),
            // D = sigmoid(copy logit), over every real token. Computed in log space for stability.
            var logProbs = MixedPrecision.ToFloat(main.Logits(hidden)).log_softmax(-1);         // (B, T, V)
            var logOriginal = logProbs.gather(2, b.OriginalIds.unsqueeze(-1)).squeeze(-1);      // (B, T)
            var copyLogit = MixedPrecision.ToFloat(copy_predictions!.forward(hidden));          // (B, T)
            var logCopy = F.logsigmoid(copyLogit);
            var logGenerate = F.logsigmoid(copyLogit.neg()) + logOriginal;
            var same = corrupted.eq(b.OriginalIds);
            var logP = where(same, logaddexp(logCopy, logGenerate), logGenerate);
            var w = b.InputMaskFloat;
            mainLoss = -(logP * w).sum() / (w.sum() + 1e-6);
        }
        var loss = genLoss * _config.GenWeight + mainLoss;
        return (loss, Statistics(genLoss, mainLoss, genCorrect, b, null, null, null));
    }

    /// <summary>Generator logits at the N masked slots only (E-run L175-178): (B, N, V).</summary>
    private static Tensor GeneratorLogits(ElectraForMaskedLM model, DeviceBatch b)
    {
        var hidden = model.Backbone.forward(b.MaskedIds, b.InputMask, b.SegmentIds);            // (B, T, H_g)
        return model.LogitsAt(hidden, b.Positions);                                             // (B, N, V)
    }

    /// <summary>
    /// Weighted mean of −log p over the slots (E-run L271-285); duplicate slots count twice. Also returns the
    /// detached fp32 log-probabilities, from which the sampler draws without casting the logits again.
    /// </summary>
    private static (Tensor Loss, Tensor Correct, Tensor LogProbs) MaskedLmLoss(Tensor logits, DeviceBatch b)
    {
        var logProbs = MixedPrecision.ToFloat(logits).log_softmax(-1);                        // fp32 reduction
        var labelLogProbs = logProbs.gather(2, b.LabelIds.unsqueeze(-1)).squeeze(-1);            // (B, N)
        var loss = -(labelLogProbs * b.Weights).sum() / (b.Weights.sum() + 1e-6);
        using var _ = no_grad();
        // Correct = the label's log-probability is the row's maximum. This is argmax == label except that a label
        // tied for the maximum counts as correct, and it reads the (B, N, V) row with a vectorized max: argmax
        // over bf16 logits cost 18 ms a step for ELECTRA-Small on the CPU, this 1 ms.
        using var best = logProbs.amax([-1]);                                                   // (B, N)
        var correct = (labelLogProbs.ge(best).to_type(ScalarType.Float32) * b.Weights).sum();
        return (loss, correct, logProbs.detach());
    }

    /// <summary>The generator's sample for every slot at the configured temperature, no gradient: (B, N) ids.</summary>
    private Tensor Sample(Tensor logProbs, DeviceBatch b) =>
        SoftmaxSampler.Sample(logProbs, _config.Temperature, _config.DisallowCorrect ? b.LabelIds : null, logProbabilities: true);

    /// <summary>
    /// The official scatter_update on int ids (E-help L62-115): updates at duplicate positions are summed and
    /// floor-divided by their count, updates to position 0 are ignored, slots with weight 0 point at 0.
    /// Returns the updated (B, T) ids and the (B, T) bool mask of updated positions.
    /// </summary>
    private static (Tensor Ids, Tensor Updated) ScatterUpdate(Tensor ids, Tensor updates, DeviceBatch b)
    {
        long batch = ids.shape[0], length = ids.shape[1];
        var flatPositions = (b.Positions + b.RowOffsets).reshape(-1);                            // (B·N)
        var weights = b.WeightsLong.reshape(-1);
        var sums = zeros(batch * length, dtype: int64, device: ids.device).index_add_(0, flatPositions, updates.reshape(-1) * weights, 1);
        var counts = zeros(batch * length, dtype: int64, device: ids.device).index_add_(0, flatPositions, weights, 1);
        var updated = counts.gt(0).reshape(batch, length).logical_and(b.NotFirstToken);
        var values = sums.div(counts.clamp_min(1), rounding_mode: RoundingMode.floor).reshape(batch, length);
        return (where(updated, values, ids), updated);
    }

    /// <summary>[mlm_loss, disc_loss, gen_correct, gen_total, tp, fp, fn, tn, disc_weight_total] for one step.</summary>
    private static Tensor Statistics(Tensor mlmLoss, Tensor discLoss, Tensor genCorrect, DeviceBatch b,
        Tensor? discLogits, Tensor? labels, Tensor? weights)
    {
        using var _ = no_grad();
        var genTotal = b.Weights.sum();
        Tensor tp, fp, fn, tn, total;
        if (discLogits is null)
        {
            tp = fp = fn = tn = total = zeros_like(genTotal);
        }
        else
        {
            var predicted = discLogits.detach().gt(0).to_type(ScalarType.Float32);  // any dtype
            var truth = labels!;
            var w = weights!;
            tp = (predicted * truth * w).sum();
            fp = (predicted * (1 - truth) * w).sum();
            fn = ((1 - predicted) * truth * w).sum();
            tn = ((1 - predicted) * (1 - truth) * w).sum();
            total = w.sum();
        }
        return stack([mlmLoss.detach(), discLoss.detach(), genCorrect, genTotal, tp, fp, fn, tn, total]);
    }
}
