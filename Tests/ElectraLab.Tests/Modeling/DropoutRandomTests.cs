using ElectraLab.Electra.Modeling;
using ElectraLab.Tests.Support;
using static TorchSharp.torch;

namespace ElectraLab.Tests.Modeling;

/// <summary>The CPU dropout masks: the stated drop rate, unbiased scaling, reproducible per seed, no lane pattern.</summary>
[Collection(TorchCollection.Name), Trait("Category", "Unit")]
public sealed class DropoutRandomTests
{
    private const double P = 0.1;

    [Fact]
    public void Fp32Multiplier_DropsAtTheStatedRate_AndKeepsTheExpectation()
    {
        var (_, drop) = DropoutRandom.Threshold(P);
        Assert.Equal(6554 / 65536.0, drop);
        DropoutRandom.Reseed(1);
        using var m = DropoutRandom.Multiplier([1 << 20], ScalarType.Float32, P);
        var values = m.data<float>().ToArray();
        float keep = (float)(1 / (1 - drop));
        Assert.All(values, v => Assert.True(v == 0f || v == keep, $"multiplier {v}"));

        double n = values.Length, dropped = values.Count(v => v == 0f);
        double sigma = Math.Sqrt(n * drop * (1 - drop));
        Assert.InRange(dropped, n * drop - 5 * sigma, n * drop + 5 * sigma);
        Assert.InRange(values.Average(v => (double)v), 1 - 5e-3, 1 + 5e-3);
    }

    [Fact]
    public void EveryPositionOfTheVector_AndNeighbouringPairs_DropIndependently()
    {
        // Four generators share a vector, 16 words a round: a broken lane would show as a position mod 16 that
        // drops too often or too rarely, and correlated words as pairs dropped together more than p².
        DropoutRandom.Reseed(2);
        using var m = DropoutRandom.Multiplier([1 << 21], ScalarType.BFloat16, P);
        var dropped = m.to_type(ScalarType.Float32).data<float>().ToArray().Select(v => v == 0f).ToArray();
        var (_, drop) = DropoutRandom.Threshold(P);
        double perPosition = dropped.Length / 16.0;
        for (int lane = 0; lane < 16; lane++)
        {
            double count = Enumerable.Range(0, dropped.Length / 16).Count(i => dropped[i * 16 + lane]);
            double sigma = Math.Sqrt(perPosition * drop * (1 - drop));
            Assert.InRange(count, perPosition * drop - 5 * sigma, perPosition * drop + 5 * sigma);
        }
        double pairs = dropped.Length - 1, both = Enumerable.Range(0, dropped.Length - 1).Count(i => dropped[i] && dropped[i + 1]);
        double q = drop * drop, pairSigma = Math.Sqrt(pairs * q * (1 - q));
        Assert.InRange(both, pairs * q - 5 * pairSigma, pairs * q + 5 * pairSigma);
    }

    [Fact]
    public void SameSeed_SameMask_InBothDtypes_AndOddLengthsArePrefixes()
    {
        DropoutRandom.Reseed(3);
        using var fp32 = DropoutRandom.Multiplier([4099], ScalarType.Float32, P);
        DropoutRandom.Reseed(3);
        using var bf16 = DropoutRandom.Multiplier([4099], ScalarType.BFloat16, P);
        DropoutRandom.Reseed(3);
        using var shorter = DropoutRandom.Multiplier([37], ScalarType.Float32, P);

        var a = fp32.data<float>().ToArray().Select(v => v == 0f).ToArray();
        var b = bf16.to_type(ScalarType.Float32).data<float>().ToArray().Select(v => v == 0f).ToArray();
        Assert.Equal(a, b);
        Assert.Equal(a[..37], shorter.data<float>().ToArray().Select(v => v == 0f).ToArray());
        Assert.Equal([1f, 0f], bf16.to_type(ScalarType.Float32).unique().Item1.data<float>().ToArray().OrderDescending().ToArray());

        DropoutRandom.Reseed(4);
        using var other = DropoutRandom.Multiplier([4099], ScalarType.Float32, P);
        Assert.NotEqual(a, other.data<float>().ToArray().Select(v => v == 0f).ToArray());
    }
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.BFloat16)]
    public void ResidualDropout_AddsTheScaledKeptBranch_InFp32(ScalarType dtype)
    {
        // residual + dropout(x): under bf16 the 1/P(keep) scale rides on the fp32 addition; every element is the
        // residual or the residual plus x/P(keep), and the mean over the elements keeps the expectation.
        using var dropout = new FastDropout(0.5);
        dropout.train();
        DropoutRandom.Reseed(6);
        using var residual = full(1 << 16, 3.0f);
        using var x = full(1 << 16, 0.75f, dtype: dtype);
        using var sum = dropout.AddTo(residual, x);
        Assert.Equal(ScalarType.Float32, sum.dtype);
        var (_, drop) = DropoutRandom.Threshold(0.5);
        float kept = (float)(3.0 + 0.75 / (1 - drop));
        var values = sum.data<float>().ToArray();
        Assert.All(values, v => Assert.True(v == 3.0f || Math.Abs(v - kept) < 1e-6f, $"value {v}"));
        Assert.InRange(values.Average(v => (double)v), 3.75 - 0.01, 3.75 + 0.01);
    }
}
