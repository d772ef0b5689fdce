// Dynamic masking exactly as the official code (E-help `mask`, ELECTRA-REFERENCE §2.2):
// 1. candidates: real tokens (input_mask = 1) that are not [CLS], [SEP], [MASK] or [PAD];
// 2. per sequence num_to_predict = max(1, min(N, round(num_tokens · mask_prob))) where num_tokens counts every
//    real token including [CLS]/[SEP], and round is TF's half-to-even; the first num_to_predict of N slots get
//    weight 1;
// 3. N positions drawn uniformly over candidates WITH replacement; slots beyond num_to_predict point at 0 with
//    weight 0 (scatter ignores position 0);
// 4. each weighted slot independently becomes [MASK] with probability 0.85, else keeps its token; no random
//    tokens. A position drawn twice is [MASK]ed if any of its slots chose [MASK] (scatter_update semantics).
// Runs on the CPU over plain arrays: N·B draws per step, negligible next to the model.
namespace ElectraLab.Electra.Pretraining;

public sealed record SpecialTokens(int Pad, int Cls, int Sep, int Mask);

/// <summary>A masked batch: row-major arrays, [B, T] for ids and [B, N] for the slots.</summary>
public sealed record MaskedBatch(
    long[] OriginalIds,
    long[] MaskedIds,
    long[] InputMask,
    long[] SegmentIds,
    long[] Positions,
    long[] LabelIds,
    float[] Weights,
    int BatchSize,
    int SeqLength,
    int Slots);

public static class DynamicMasking
{
    /// <summary>Probability that a selected slot becomes [MASK] (E-help L201-205).</summary>
    public const double MaskTokenProbability = 0.85;

    public static MaskedBatch Apply(long[] inputIds, long[] inputMask, long[] segmentIds, int batch, int length,
        double maskProb, int slots, SpecialTokens special, StepRandom random)
    {
        var masked = (long[])inputIds.Clone();
        var positions = new long[batch * slots];
        var labels = new long[batch * slots];
        var weights = new float[batch * slots];
        var candidates = new int[length];

        for (int b = 0; b < batch; b++)
        {
            int row = b * length;
            int count = 0, numTokens = 0;
            for (int t = 0; t < length; t++)
            {
                if (inputMask[row + t] == 0) continue;
                numTokens++;
                long id = inputIds[row + t];
                if (id != special.Cls && id != special.Sep && id != special.Mask && id != special.Pad) candidates[count++] = t;
            }
            // TF: tf.round on float32 num_tokens * mask_prob, half to even.
            int predict = Math.Max(1, Math.Min(slots, (int)Math.Round((float)numTokens * (float)maskProb, MidpointRounding.ToEven)));

            for (int s = 0; s < slots; s++)
            {
                int slot = b * slots + s;
                // All N draws are made (as tf.random.categorical does), so the stream of draws does not depend on
                // how many slots are used.
                int position = count > 0 ? candidates[random.Next(count)] : 0;
                bool toMask = random.NextDouble() < MaskTokenProbability;
                if (s >= predict || count == 0) continue;        // weight 0: position 0, ignored by scatter
                positions[slot] = position;
                labels[slot] = inputIds[row + position];
                weights[slot] = 1f;
                if (toMask && position != 0) masked[row + position] = special.Mask;
            }
        }
        return new MaskedBatch(inputIds, masked, inputMask, segmentIds, positions, labels, weights, batch, length, slots);
    }
}
