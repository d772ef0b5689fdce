using ElectraLab.Electra.Pretraining;

namespace ElectraLab.Tests.Pretraining;

/// <summary>The official masking rules (E-help `mask`, ELECTRA-REFERENCE §2.2).</summary>
[Trait("Category", "Unit")]
public sealed class DynamicMaskingTests
{
    static readonly SpecialTokens Special = new(Pad: 0, Cls: 101, Sep: 102, Mask: 103);

    /// <summary>A batch of rows "[CLS] w… [SEP] w… [SEP] [PAD]…" with the given real lengths.</summary>
    static (long[] Ids, long[] Mask, long[] Segments) Rows(int length, params int[] realLengths)
    {
        var ids = new long[realLengths.Length * length];
        var mask = new long[ids.Length];
        var segments = new long[ids.Length];
        for (int b = 0; b < realLengths.Length; b++)
        {
            int row = b * length, n = realLengths[b];
            for (int t = 0; t < n; t++) { ids[row + t] = 1000 + (b * 31 + t) % 500; mask[row + t] = 1; }
            ids[row] = Special.Cls;
            ids[row + n / 2] = Special.Sep;
            ids[row + n - 1] = Special.Sep;
            for (int t = n / 2 + 1; t < n; t++) segments[row + t] = 1;
        }
        return (ids, mask, segments);
    }

    [Theory]
    // num_to_predict = max(1, min(N, round_half_even(num_tokens · 0.15))), num_tokens counting [CLS]/[SEP].
    [InlineData(128, 19, 19)]   // 19.2 -> 19
    [InlineData(50, 19, 8)]     // 7.5 -> 8 (half to even)
    [InlineData(30, 19, 4)]     // 4.5 -> 4 (half to even)
    [InlineData(10, 19, 2)]     // 1.5 -> 2
    [InlineData(4, 19, 1)]      // 0.6 -> 1; and never fewer than 1
    [InlineData(3, 19, 0)]      // "[CLS] [SEP] [SEP]": no candidate at all, nothing to mask
    [InlineData(128, 5, 5)]     // capped at N
    public void SlotCount_FollowsTheOfficialRule(int realLength, int slots, int expected)
    {
        var (ids, mask, seg) = Rows(128, realLength);
        var batch = DynamicMasking.Apply(ids, mask, seg, 1, 128, 0.15, slots, Special, new StepRandom(1, 0, 1));
        Assert.Equal(expected, (int)batch.Weights.Sum());
        // Weighted slots come first; unused slots point at position 0 with weight 0.
        for (int s = 0; s < slots; s++)
        {
            if (s < expected) Assert.Equal(1f, batch.Weights[s]);
            else { Assert.Equal(0f, batch.Weights[s]); Assert.Equal(0, batch.Positions[s]); }
        }
    }

    [Fact]
    public void NeverMasks_SpecialTokensOrPadding_AndLabelsAreTheOriginalTokens()
    {
        var (ids, mask, seg) = Rows(64, 64, 40, 12, 5);
        for (int step = 0; step < 200; step++)
        {
            var batch = DynamicMasking.Apply(ids, mask, seg, 4, 64, 0.15, 10, Special, new StepRandom(3, step, 1));
            for (int slot = 0; slot < batch.Positions.Length; slot++)
            {
                if (batch.Weights[slot] == 0) continue;
                int b = slot / 10;
                long position = batch.Positions[slot];
                long original = ids[b * 64 + position];
                Assert.Equal(1, mask[b * 64 + position]);
                Assert.NotEqual(Special.Cls, original);
                Assert.NotEqual(Special.Sep, original);
                Assert.NotEqual(Special.Pad, original);
                Assert.Equal(original, batch.LabelIds[slot]);
            }
            // Every changed token became [MASK]: no random replacement, and only at selected positions.
            for (int i = 0; i < ids.Length; i++)
            {
                if (batch.MaskedIds[i] == ids[i]) continue;
                Assert.Equal(Special.Mask, batch.MaskedIds[i]);
                int b = i / 64;
                Assert.Contains((long)(i % 64), Enumerable.Range(0, 10).Where(s => batch.Weights[b * 10 + s] > 0).Select(s => batch.Positions[b * 10 + s]));
            }
        }
    }

    [Fact]
    public void EightyFivePercentOfSelectedSlots_BecomeMask_TheRestKeepTheirToken()
    {
        var (ids, mask, seg) = Rows(128, 128, 128, 128, 128);
        int masked = 0, kept = 0;
        for (int step = 0; step < 400; step++)
        {
            var batch = DynamicMasking.Apply(ids, mask, seg, 4, 128, 0.15, 19, Special, new StepRandom(5, step, 1));
            for (int slot = 0; slot < batch.Positions.Length; slot++)
            {
                if (batch.Weights[slot] == 0) continue;
                int b = slot / 19;
                // Count only positions drawn once, where the slot alone decides.
                long p = batch.Positions[slot];
                if (Enumerable.Range(0, 19).Count(s => batch.Weights[b * 19 + s] > 0 && batch.Positions[b * 19 + s] == p) != 1) continue;
                if (batch.MaskedIds[b * 128 + p] == Special.Mask) masked++; else kept++;
            }
        }
        double fraction = (double)masked / (masked + kept);
        // ~27k slots: 4 standard deviations of a binomial(0.85) proportion is about ±0.009.
        Assert.InRange(fraction, 0.84, 0.86);
    }

    [Fact]
    public void Masking_IsAFunctionOfSeedAndStep()
    {
        var (ids, mask, seg) = Rows(64, 64, 33);
        var a = DynamicMasking.Apply(ids, mask, seg, 2, 64, 0.15, 10, Special, new StepRandom(9, 42, 1));
        var b = DynamicMasking.Apply(ids, mask, seg, 2, 64, 0.15, 10, Special, new StepRandom(9, 42, 1));
        var c = DynamicMasking.Apply(ids, mask, seg, 2, 64, 0.15, 10, Special, new StepRandom(9, 43, 1));
        Assert.Equal(a.Positions, b.Positions);
        Assert.Equal(a.MaskedIds, b.MaskedIds);
        Assert.NotEqual(a.Positions, c.Positions);
    }

    [Fact]
    public void Positions_AreDrawnWithReplacement_AsTheOfficialCategoricalSampler()
    {
        var (ids, mask, seg) = Rows(32, 32);
        bool sawDuplicate = false;
        for (int step = 0; step < 100 && !sawDuplicate; step++)
        {
            var batch = DynamicMasking.Apply(ids, mask, seg, 1, 32, 0.5, 16, Special, new StepRandom(1, step, 1));
            sawDuplicate = batch.Positions.Where((_, s) => batch.Weights[s] > 0).GroupBy(p => p).Any(g => g.Count() > 1);
        }
        Assert.True(sawDuplicate);
    }
}
