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

    /// <summary>
    /// The multiplier tensor of inverted dropout, written straight into a new tensor of <paramref name="dtype"/>
    /// (fp32: 0 or 1/P(keep), one pass; bf16: 0 or 1, the caller scales in fp32 arithmetic).
    /// </summary>
    public static Tensor Multiplier(long[] shape, ScalarType dtype, double p)
    {
        if (!_seeded) Reseed(0x5EED);
        var (threshold, drop) = Threshold(p);
        long count = shape.Aggregate(1L, (a, b) => a * b);
        var tensor = empty(shape, dtype: dtype);
        if (dtype == ScalarType.Float32)
        {
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(tensor.bytes);
            FillMultiplier(values, threshold, (float)(1.0 / (1.0 - drop)), 0f);
        }
        else if (dtype == ScalarType.BFloat16)
        {
            var values = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, ushort>(tensor.bytes);
            FillMultiplier(values, threshold, (ushort)0x3F80, (ushort)0);       // bf16 bit patterns of 1.0 and 0.0
        }
        else
        {
            tensor.Dispose();
            throw new NotSupportedException($"dropout multiplier for {dtype}");
        }
        return tensor;
    }

    private static void FillMultiplier<T>(Span<T> into, short threshold, T keep, T dropValue)
    {
        ulong s0 = _s0, s1 = _s1, s2 = _s2, s3 = _s3;
        int i = 0;
        while (i < into.Length)
        {
            ulong r = BitOperations.RotateLeft(s1 * 5, 7) * 9;
            ulong t = s1 << 17;
            s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
            s2 ^= t;
            s3 = BitOperations.RotateLeft(s3, 45);
            // Four 16-bit words per draw; a word below the threshold drops its element.
            for (int k = 0; k < 4 && i < into.Length; k++, i++, r >>= 16)
                into[i] = (short)(ushort)r < threshold ? dropValue : keep;
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
