// Dropout masks for the CPU, drawn in C#. libtorch's CPU generator (mt19937) produces about 150M floats/s on a
// core, and an ELECTRA-Small step draws ~16M of them for dropout: that alone cost more than the step's matmuls.
// Here four xoshiro256** generators run side by side in one 256-bit vector (the multiplications by 5 and 9 are
// shifts and adds, so plain AVX2 does it) and fill 16-bit words, 16 per round. A word below round(p·65536) drops
// its element, so the drop probability is round(p·65536)/65536 (0.100006 for p = 0.1), and the kept values are
// scaled by its exact complement: the expectation is preserved exactly. Per thread, reseeded every training step
// from (seed, step), so a resumed run draws the same masks.
using ElectraLab.Config;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace ElectraLab.Electra.Modeling;

public static class DropoutRandom
{
    // Four generators' states, one lane each: s0, s1, s2, s3 of xoshiro256**.
    [ThreadStatic] private static Vector256<ulong> _s0, _s1, _s2, _s3;
    [ThreadStatic] private static bool _seeded;

    public static void Reseed(long seed)
    {
        // xoshiro's authors seed it from SplitMix64's stream.
        var seeder = new SplitMix64((ulong)seed);
        Span<ulong> words = stackalloc ulong[16];
        for (int i = 0; i < words.Length; i++) words[i] = seeder.Next();
        _s0 = Vector256.Create<ulong>(words[0..4]);
        _s1 = Vector256.Create<ulong>(words[4..8]);
        _s2 = Vector256.Create<ulong>(words[8..12]);
        _s3 = Vector256.Create<ulong>(words[12..16]);
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
        var tensor = empty(shape, dtype: dtype);
        if (dtype == ScalarType.Float32)
        {
            float keep = (float)(1.0 / (1.0 - drop));
            Fill(MemoryMarshal.Cast<byte, int>(tensor.bytes), threshold, BitConverter.SingleToInt32Bits(keep));
        }
        else if (dtype == ScalarType.BFloat16)
        {
            Fill(MemoryMarshal.Cast<byte, short>(tensor.bytes), threshold, 0x3F80);  // bf16 bit pattern of 1.0
        }
        else
        {
            tensor.Dispose();
            throw new NotSupportedException($"dropout multiplier for {dtype}");
        }
        return tensor;
    }

    /// <summary>16-bit elements: keep's bits where the word is at or above the threshold, 0 below it.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fill(Span<short> into, short threshold, short keep)
    {
        var (s0, s1, s2, s3) = (_s0, _s1, _s2, _s3);
        var limit = Vector256.Create(threshold);
        var keepBits = Vector256.Create(keep);
        int i = 0;
        for (; i + 16 <= into.Length; i += 16)
        {
            var dropped = Vector256.LessThan(Next(ref s0, ref s1, ref s2, ref s3).AsInt16(), limit);
            Vector256.AndNot(keepBits, dropped).CopyTo(into[i..]);
        }
        if (i < into.Length)
        {
            var dropped = Vector256.LessThan(Next(ref s0, ref s1, ref s2, ref s3).AsInt16(), limit);
            Span<short> last = stackalloc short[16];
            Vector256.AndNot(keepBits, dropped).CopyTo(last);
            last[..(into.Length - i)].CopyTo(into[i..]);
        }
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>32-bit elements from the same 16-bit words (sign-extended), so fp32 and bf16 drop alike.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Fill(Span<int> into, short threshold, int keep)
    {
        var (s0, s1, s2, s3) = (_s0, _s1, _s2, _s3);
        var limit = Vector256.Create((int)threshold);
        var keepBits = Vector256.Create(keep);
        int i = 0;
        Span<int> last = stackalloc int[16];
        while (i < into.Length)
        {
            var (low, high) = Vector256.Widen(Next(ref s0, ref s1, ref s2, ref s3).AsInt16());
            var first = Vector256.AndNot(keepBits, Vector256.LessThan(low, limit));
            var second = Vector256.AndNot(keepBits, Vector256.LessThan(high, limit));
            if (i + 16 <= into.Length)
            {
                first.CopyTo(into[i..]);
                second.CopyTo(into[(i + 8)..]);
            }
            else
            {
                first.CopyTo(last);
                second.CopyTo(last[8..]);
                last[..(into.Length - i)].CopyTo(into[i..]);
            }
            i += 16;
        }
        (_s0, _s1, _s2, _s3) = (s0, s1, s2, s3);
    }

    /// <summary>One xoshiro256** step in each lane: r = rotl(s1·5, 7)·9, then the state update.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<ulong> Next(ref Vector256<ulong> s0, ref Vector256<ulong> s1, ref Vector256<ulong> s2, ref Vector256<ulong> s3)
    {
        var times5 = (s1 << 2) + s1;
        var rotated = (times5 << 7) | (times5 >>> 57);
        var result = (rotated << 3) + rotated;
        var t = s1 << 17;
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3;
        s2 ^= t;
        s3 = (s3 << 45) | (s3 >>> 19);
        return result;
    }
}
