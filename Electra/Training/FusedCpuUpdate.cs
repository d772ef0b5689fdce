// Global-norm clipping and the AdamWeightDecay update for fp32 CPU tensors, in two passes over raw memory instead
// of ~13 libtorch calls per parameter. The update is memory-bound (read g, p, m, v; write p, m, v), so one fused
// pass is what it costs; libtorch's per-op version made ~8 passes and ~5,000 calls for ELECTRA-Small's ~400
// parameter tensors (generator included), 55-65 ms of a 0.55 s bf16 step against 12-19 ms here. The clip scale is
// applied to g on the fly, so gradients are read, never rewritten. Work is cut into fixed chunks and the norm's partial sums are added in chunk order: the result
// does not depend on how threads pick up chunks, so resume stays bit-exact.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace ElectraLab.Electra.Training;

internal static unsafe class FusedCpuUpdate
{
    /// <summary>Elements per unit of parallel work: large enough to amortise scheduling, small enough to balance.</summary>
    private const int ChunkSize = 1 << 16;

    /// <summary>One parameter's memory: value, gradient and both moments, all fp32, contiguous, <c>Length</c> long.</summary>
    public readonly record struct Buffers(nint Value, nint Grad, nint M, nint V, long Length, bool Decay, double LrScale);

    private readonly record struct Chunk(int Buffer, long Start, int Length);

    /// <summary>Cuts the buffers into fixed chunks (a few hundred entries for ELECTRA-Small).</summary>
    private static List<Chunk> Chunks(IReadOnlyList<Buffers> buffers)
    {
        var chunks = new List<Chunk>();
        for (int b = 0; b < buffers.Count; b++)
            for (long start = 0; start < buffers[b].Length; start += ChunkSize)
                chunks.Add(new Chunk(b, start, (int)Math.Min(ChunkSize, buffers[b].Length - start)));
        return chunks;
    }

    /// <summary>
    /// tf.clip_by_global_norm then the update: scale = clip / max(√(Σ g²), clip), the sum accumulated in double;
    /// then g' = scale·g; m = β1·m + (1−β1)·g'; v = β2·v + (1−β2)·g'²; p = p·(1 − lr·wd) [decayed parameters only];
    /// p = p − lr·m / (√v + ε), the same arithmetic, in the same order, as <see cref="AdamWeightDecay"/>'s tensor path.
    /// </summary>
    public static void ClipAndUpdate(IReadOnlyList<Buffers> buffers, double clipNorm, double learningRate, double weightDecay, int threads)
    {
        var chunks = Chunks(buffers);
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };
        var partial = new double[chunks.Count];
        Parallel.For(0, chunks.Count, options, c =>
        {
            var chunk = chunks[c];
            partial[c] = SumOfSquares((float*)buffers[chunk.Buffer].Grad + chunk.Start, chunk.Length);
        });
        double total = 0;
        foreach (var s in partial) total += s;
        float scale = (float)(clipNorm / Math.Max(Math.Sqrt(total), clipNorm));

        Parallel.For(0, chunks.Count, options, c =>
        {
            var chunk = chunks[c];
            var b = buffers[chunk.Buffer];
            double lr = learningRate * b.LrScale;
            float keep = b.Decay && weightDecay != 0 ? (float)(1 - lr * weightDecay) : 1f;
            UpdateSpan((float*)b.Value + chunk.Start, (float*)b.Grad + chunk.Start, (float*)b.M + chunk.Start, (float*)b.V + chunk.Start,
                chunk.Length, scale, (float)lr, keep);
        });
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static double SumOfSquares(float* g, int n)
    {
        var sum = Vector256<double>.Zero;
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var (low, high) = Vector256.Widen(Vector256.Load(g + i));
            sum += low * low + high * high;
        }
        double total = Vector256.Sum(sum);
        for (; i < n; i++) total += (double)g[i] * g[i];
        return total;
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void UpdateSpan(float* p, float* g, float* m, float* v, int n, float scale, float lr, float keep)
    {
        const float b1 = (float)AdamWeightDecay.Beta1, b2 = (float)AdamWeightDecay.Beta2;
        const float c1 = (float)(1 - AdamWeightDecay.Beta1), c2 = (float)(1 - AdamWeightDecay.Beta2);
        const float eps = (float)AdamWeightDecay.Epsilon;
        var vScale = Vector256.Create(scale);
        var vB1 = Vector256.Create(b1); var vC1 = Vector256.Create(c1);
        var vB2 = Vector256.Create(b2); var vC2 = Vector256.Create(c2);
        var vEps = Vector256.Create(eps); var vLr = Vector256.Create(lr); var vKeep = Vector256.Create(keep);
        int i = 0;
        for (; i + 8 <= n; i += 8)
        {
            var grad = Vector256.Load(g + i) * vScale;
            var m1 = Vector256.Load(m + i) * vB1 + grad * vC1;
            var v1 = Vector256.Load(v + i) * vB2 + grad * grad * vC2;
            var p1 = Vector256.Load(p + i) * vKeep - vLr * (m1 / (Vector256.Sqrt(v1) + vEps));
            m1.Store(m + i);
            v1.Store(v + i);
            p1.Store(p + i);
        }
        for (; i < n; i++)
        {
            float grad = g[i] * scale;
            float m1 = m[i] * b1 + grad * c1;
            float v1 = v[i] * b2 + grad * grad * c2;
            m[i] = m1;
            v[i] = v1;
            p[i] = p[i] * keep - lr * (m1 / (MathF.Sqrt(v1) + eps));
        }
    }
}
