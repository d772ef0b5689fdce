// Dropout masks for the CPU, drawn in C#. libtorch's CPU generator (mt19937) produces about 150M floats/s on a
// core, and an ELECTRA-Small step draws ~16M of them for dropout: that alone cost more than the step's matmuls.
// Here xoshiro256** fills 16-bit words (4 per 64-bit draw), and a word below round(p·65536) drops its element:
// the drop probability is round(p·65536)/65536 (0.100006 for p = 0.1), and the kept values are scaled by its
// exact complement, so the expectation is preserved exactly. Per thread, reseeded every training step from
// (seed, step), so a resumed run draws the same masks.
using System.Numerics;
using static TorchSharp.torch;

namespace ElectraLab.Electra.Modeling;

public static class DropoutRandom
{
    [ThreadStatic] private static ulong _s0, _s1, _s2, _s3;
    [ThreadStatic] private static bool _seeded;

    public static void Reseed(long seed)
    {
        ulong x = (ulong)seed;
        _s0 = SplitMix(ref x); _s1 = SplitMix(ref x); _s2 = SplitMix(ref x); _s3 = SplitMix(ref x);
        _seeded = true;
    }

    /// <summary>The drop threshold for 16-bit words and the exact drop probability it gives.</summary>
    public static (short Threshold, double DropProbability) Threshold(double p)
    {
        int below = (int)Math.Round(p * 65536);
        // Words are read as signed: uniform over [-32768, 32767]; "below" of them are < -32768 + below.
        return ((short)(-32768 + below), below / 65536.0);
    }

    /// <summary>A tensor of uniformly random int16 words with the given shape, on the CPU.</summary>
    public static Tensor Words(long[] shape)
    {
        if (!_seeded) Reseed(0x5EED);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        long padded = (count + 3) / 4 * 4;
        // Written straight into the tensor's memory: no managed buffer, no copy.
        var tensor = empty(padded, dtype: ScalarType.Int16);
        var longs = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ulong>(tensor.bytes);
        Fill(longs);
        if (count == padded) return tensor.reshape(shape);
        using (tensor) return tensor.narrow(0, 0, count).reshape(shape);
    }

    /// <summary>xoshiro256** over the span, with the state in locals (thread-static reads are slow in a loop).</summary>
    private static void Fill(Span<ulong> into)
    {
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        for (int i = 0; i < into.Length; i++)
        {
            into[i] = BitOperations.RotateLeft(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
            s2 ^= t;
            s3 = BitOperations.RotateLeft(s3, 45);
        }
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    private static ulong SplitMix(ref ulong x)
    {
        ulong z = x += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
