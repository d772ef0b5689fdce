// The generator's sample (E-help sample_from_softmax): an exact categorical draw from softmax(logits / T) for every
// slot. The official code draws it with Gumbel-max, argmax(logits/T + g) with g = −log(−log(U + 1e-9) + 1e-9),
// which costs a uniform, two logs and an add for every vocabulary entry of every slot: 50-110 ms of a 0.5 s
// ELECTRA-Small CPU step (4.6M entries). Inverting the CDF draws from the same distribution with one uniform per
// slot and a binary search of the row's cumulative probabilities: ~12 ms, mostly the softmax and the prefix sums.
using static TorchSharp.torch;

namespace ElectraLab.Electra.Pretraining;

public static class SoftmaxSampler
{
    /// <param name="logits">(B, N, V), any float dtype; not differentiated. Log-probabilities (log_softmax of the
    /// logits) give the same distribution at every temperature.</param>
    /// <param name="temperature">the logits are divided by it (1.0 in every paper config)</param>
    /// <param name="disallow">(B, N) ids to exclude (disallow_correct): their logit is lowered by 1000, as the official
    /// code does, which leaves them probability 0</param>
    /// <param name="logProbabilities">true when <paramref name="logits"/> are fp32 log-probabilities: at temperature 1
    /// their exp is the distribution, so the softmax's normalizing passes are skipped</param>
    /// <returns>(B, N) int64 ids</returns>
    public static Tensor Sample(Tensor logits, double temperature, Tensor? disallow = null, bool logProbabilities = false)
    {
        if (temperature <= 0) throw new ArgumentOutOfRangeException(nameof(temperature), $"temperature must be positive, got {temperature}");
        using var _ = no_grad();
        using var scope = NewDisposeScope();
        var scaled = logits.detach().to_type(ScalarType.Float32);
        if (temperature != 1.0) scaled = scaled.div(temperature);
        if (disallow is not null)
        {
            var index = disallow.unsqueeze(-1);
            scaled = scaled.scatter(2, index, scaled.gather(2, index).sub(1000.0));
        }
        // Unnormalized weights are enough: the draw below scales u by the row's total. With a disallowed id the
        // softmax renormalizes from the remaining maximum, so a row whose other entries all underflow exp still draws.
        var weights = logProbabilities && temperature == 1.0 && disallow is null ? scaled.exp() : scaled.softmax(-1);
        // libtorch's CPU cumsum accumulates floats in double, so each prefix is within float rounding of the exact one.
        var cdf = weights.cumsum(-1).contiguous();                                              // (B, N, V)
        long vocab = cdf.shape[2];
        // u in (0, 1] times the row's total: the first index whose prefix reaches it is i with probability p_i
        // exactly, and an entry of probability 0 is never chosen (its prefix equals the one before it).
        var u = rand(cdf.shape[0], cdf.shape[1], 1, device: cdf.device).neg_().add_(1.0);
        var target = u.mul(cdf.narrow(2, vocab - 1, 1));
        var ids = searchsorted(cdf, target).squeeze(-1).clamp_max(vocab - 1);
        return ids.MoveToOuterDisposeScope();
    }
}
