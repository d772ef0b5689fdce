// Randomness that is a pure function of (seed, step, stream): a job resumed at step k draws exactly what an
// uninterrupted run drew at step k, on any machine, without saving generator state. SplitMix64 for the C#
// side (masking); the same derived seed reseeds libtorch's generator for dropout (on CUDA) and the generator's samples.
using ElectraLab.Config;
namespace ElectraLab.Electra.Pretraining;

public sealed class StepRandom
{
    private readonly SplitMix64 _random;

    public StepRandom(long seed, long step, ulong stream)
    {
        _random = new SplitMix64(Mix((ulong)seed ^ Mix((ulong)step + 0x9E3779B97F4A7C15UL * (stream + 1))));
    }

    /// <summary>The seed libtorch's generator gets at the start of a step.</summary>
    public static long TorchSeed(long seed, long step) => (long)(Mix((ulong)seed * 0x100000001B3UL ^ Mix((ulong)step)) >> 1);

    public ulong NextUInt64() => _random.Next();

    /// <summary>Uniform in [0, 1) with 53 random bits.</summary>
    public double NextDouble() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

    /// <summary>Uniform integer in [0, n).</summary>
    public int Next(int n) => (int)((NextUInt64() >> 33) * (ulong)n >> 31);

    private static ulong Mix(ulong z) => SplitMix64.Mix(z);
}
