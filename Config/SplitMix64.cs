// A small, fully specified generator (Steele et al.'s SplitMix64), the one in the codebase: data-order shuffles,
// the per-step streams of StepRandom (masking, bootstrap resampling) and the seeding of the dropout generators.
// Written out rather than System.Random so no draw ever changes with the runtime version: exact resume depends on it.
namespace ElectraLab.Config;

public sealed class SplitMix64(ulong seed)
{
    private ulong _state = seed;

    public static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9UL;
        z = (z ^ (z >> 27)) * 0x94d049bb133111ebUL;
        return z ^ (z >> 31);
    }

    /// <summary>A seed for one independent stream, e.g. (seed, epoch, shard).</summary>
    public static ulong Combine(long a, long b, long c) =>
        Mix(Mix(Mix((ulong)a + 0x9e3779b97f4a7c15UL) ^ (ulong)b) ^ (ulong)c);

    public ulong Next()
    {
        _state += 0x9e3779b97f4a7c15UL;
        return Mix(_state);
    }

    /// <summary>Uniform in [0, n) without modulo bias (Lemire's multiply-and-reject).</summary>
    public int NextBelow(int n)
    {
        ulong bound = (ulong)n;
        ulong high = Math.BigMul(Next(), bound, out ulong low);
        if (low < bound)
        {
            ulong threshold = (0UL - bound) % bound;
            while (low < threshold) high = Math.BigMul(Next(), bound, out low);
        }
        return (int)high;
    }

    /// <summary>Fisher-Yates permutation of 0..n-1.</summary>
    public int[] Permutation(int n)
    {
        var order = new int[n];
        for (int i = 0; i < n; i++) order[i] = i;
        for (int i = n - 1; i > 0; i--)
        {
            int j = NextBelow(i + 1);
            (order[i], order[j]) = (order[j], order[i]);
        }
        return order;
    }
}
