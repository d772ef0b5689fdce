// CPython's `random` module generator (MT19937 seeded by init_by_array), reproducing random.seed(n),
// random.random() and random.randint(a, b) draw for draw. The official builder draws from `random`, so with this
// generator the same seed gives the same examples as build_pretraining_dataset.py run over the same tokens.
namespace ElectraLab.Electra.Data.Pretraining;

public sealed class PythonRandom
{
    private const int N = 624;
    private const int M = 397;
    private readonly uint[] _mt = new uint[N];
    private int _index;

    /// <summary>As random.seed(seed) for a non-negative integer seed (CPython splits it into 32-bit words).</summary>
    public PythonRandom(ulong seed)
    {
        var key = seed >> 32 == 0 ? new[] { (uint)seed } : new[] { (uint)seed, (uint)(seed >> 32) };
        InitByArray(key);
    }

    /// <summary>random.random(): 53 random bits from two 32-bit outputs, in [0, 1).</summary>
    public double NextDouble()
    {
        uint a = NextUInt32() >> 5, b = NextUInt32() >> 6;
        return (a * 67108864.0 + b) * (1.0 / 9007199254740992.0);
    }

    /// <summary>random.randint(low, high), both ends included: rejection sampling on getrandbits(bit_length).</summary>
    public int NextInt(int low, int high)
    {
        uint n = (uint)(high - low + 1);
        int k = 32 - System.Numerics.BitOperations.LeadingZeroCount(n);
        uint r = NextUInt32() >> (32 - k);
        while (r >= n) r = NextUInt32() >> (32 - k);
        return low + (int)r;
    }

    public uint NextUInt32()
    {
        if (_index >= N) Twist();
        uint y = _mt[_index++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    private void Twist()
    {
        for (int i = 0; i < N; i++)
        {
            uint y = (_mt[i] & 0x80000000u) | (_mt[(i + 1) % N] & 0x7fffffffu);
            _mt[i] = _mt[(i + M) % N] ^ (y >> 1) ^ ((y & 1u) * 0x9908b0dfu);
        }
        _index = 0;
    }

    private void InitGenrand(uint s)
    {
        _mt[0] = s;
        for (int i = 1; i < N; i++) _mt[i] = 1812433253u * (_mt[i - 1] ^ (_mt[i - 1] >> 30)) + (uint)i;
        _index = N;
    }

    private void InitByArray(uint[] key)
    {
        InitGenrand(19650218u);
        int i = 1, j = 0;
        for (int k = Math.Max(N, key.Length); k > 0; k--)
        {
            _mt[i] = (_mt[i] ^ ((_mt[i - 1] ^ (_mt[i - 1] >> 30)) * 1664525u)) + key[j] + (uint)j;
            i++;
            j++;
            if (i >= N) { _mt[0] = _mt[N - 1]; i = 1; }
            if (j >= key.Length) j = 0;
        }
        for (int k = N - 1; k > 0; k--)
        {
            _mt[i] = (_mt[i] ^ ((_mt[i - 1] ^ (_mt[i - 1] >> 30)) * 1566083941u)) - (uint)i;
            i++;
            if (i >= N) { _mt[0] = _mt[N - 1]; i = 1; }
        }
        _mt[0] = 0x80000000u;
        _index = N;
    }
}
