using ElectraLab.Electra.Pretraining;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;

namespace ElectraLab.Tests.Pretraining;

/// <summary>The generator's sampler draws exactly from softmax(logits / T), as the official Gumbel-max does.</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class SoftmaxSamplerTests
{
    private static readonly float[] Row = [2.0f, 1.0f, 0.0f, -1.0f, 0.5f, -30.0f];

    [Theory]
    [InlineData(1.0, false)]
    [InlineData(2.0, false)]
    [InlineData(1.0, true)]
    [InlineData(2.0, true)]
    public void Frequencies_MatchTheSoftmaxAtTheTemperature(double temperature, bool fromLogProbabilities)
    {
        // Pre-training passes the loss's log-probabilities (log_softmax of the logits): the same distribution.
        manual_seed(11);
        const int rows = 50, slots = 800;                                 // 40,000 draws
        using var raw = tensor(Row).expand(rows, slots, Row.Length).contiguous();
        using var logits = fromLogProbabilities ? raw.log_softmax(-1) : raw.alias();
        using var ids = SoftmaxSampler.Sample(logits, temperature, logProbabilities: fromLogProbabilities);
        Assert.Equal(new long[] { rows, slots }, ids.shape);

        var counts = Histogram(ids, Row.Length);
        var expected = Softmax(Row.Select(x => (float)(x / temperature)).ToArray());
        double n = rows * slots;
        for (int i = 0; i < Row.Length; i++)
        {
            double sigma = Math.Sqrt(n * expected[i] * (1 - expected[i]));
            Assert.True(Math.Abs(counts[i] - n * expected[i]) <= 5 * sigma + 1,
                $"id {i}: drawn {counts[i]} times, expected {n * expected[i]:F0} ± {sigma:F0}");
        }
        // exp(−30) relative to exp(2): about 1e-14 per draw, so never in 40,000.
        Assert.Equal(0, counts[5]);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DisallowedIds_AreNeverDrawn_AndTheRestKeepTheirProportions(bool fromLogProbabilities)
    {
        manual_seed(12);
        const int rows = 40, slots = 500;
        using var raw = tensor(Row).expand(rows, slots, Row.Length).contiguous();
        using var logits = fromLogProbabilities ? raw.log_softmax(-1) : raw.alias();
        using var disallow = zeros(rows, slots, dtype: int64);             // id 0, the most likely one
        using var ids = SoftmaxSampler.Sample(logits, 1.0, disallow, fromLogProbabilities);

        var counts = Histogram(ids, Row.Length);
        Assert.Equal(0, counts[0]);
        var rest = Softmax(Row.Skip(1).ToArray());
        double n = rows * slots;
        for (int i = 1; i < Row.Length; i++)
        {
            double p = rest[i - 1], sigma = Math.Sqrt(n * p * (1 - p));
            Assert.True(Math.Abs(counts[i] - n * p) <= 5 * sigma + 1, $"id {i}: drawn {counts[i]}, expected {n * p:F0}");
        }
    }

    [Fact]
    public void DisallowingTheOnlyLikelyId_StillDrawsFromTheRest_WhenTheirExpUnderflows()
    {
        // A confident generator: log p = 0 for the label, about −200 for everything else (exp underflows to 0 in fp32).
        manual_seed(13);
        const int rows = 20, slots = 500;
        float[] logProbs = [-200f, 0f, -200f, -201f];
        using var logits = tensor(logProbs).expand(rows, slots, logProbs.Length).contiguous();
        using var disallow = ones(rows, slots, dtype: int64);
        using var ids = SoftmaxSampler.Sample(logits, 1.0, disallow, logProbabilities: true);
        var counts = Histogram(ids, logProbs.Length);
        Assert.Equal(0, counts[1]);
        var expected = Softmax([-200f, -200f, -201f]);
        double n = rows * slots;
        foreach (var (id, p) in new[] { (0, expected[0]), (2, expected[1]), (3, expected[2]) })
            Assert.InRange(counts[id], n * p - 5 * Math.Sqrt(n * p * (1 - p)), n * p + 5 * Math.Sqrt(n * p * (1 - p)));
    }

    [Fact]
    public void FullVocabularyRows_FindTheirMass_AtEitherEnd_AndInBf16()
    {
        // A real generator's shape: each row puts nearly all its mass on one id, anywhere in 30,522.
        manual_seed(13);
        const int vocab = 30522;
        long[] peaks = [0, 1, 17_000, vocab - 2, vocab - 1];
        using var logits = full(1, peaks.Length, vocab, -20.0f);
        for (int s = 0; s < peaks.Length; s++) logits[0, s, peaks[s]] = tensor(20.0f);
        using var narrow = logits.to_type(ScalarType.BFloat16);
        for (int draw = 0; draw < 20; draw++)
        {
            using var ids = SoftmaxSampler.Sample(narrow, 1.0);
            Assert.Equal(peaks, ids[0].data<long>().ToArray());
        }
    }

    [Fact]
    public void SameSeed_SameSamples()
    {
        using var logits = randn(4, 19, 1000);
        manual_seed(5);
        using var first = SoftmaxSampler.Sample(logits, 1.0);
        manual_seed(5);
        using var second = SoftmaxSampler.Sample(logits, 1.0);
        Assert.Equal(first.data<long>().ToArray(), second.data<long>().ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => SoftmaxSampler.Sample(logits, 0.0));
    }

    private static long[] Histogram(Tensor ids, int bins)
    {
        var counts = new long[bins];
        foreach (var id in ids.reshape(-1).data<long>()) counts[id]++;
        return counts;
    }

    private static double[] Softmax(float[] logits)
    {
        double max = logits.Max();
        var e = logits.Select(x => Math.Exp(x - max)).ToArray();
        double sum = e.Sum();
        return e.Select(x => x / sum).ToArray();
    }
}
