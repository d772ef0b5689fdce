// A compact encoded input: the unpadded token ids and where segment 1 starts (= Ids.Length for one segment).
// Batches are padded only to their longest row: attention masks the padding, so the [CLS] state and the span
// logits at real positions are those of a max_seq_length-padded batch, at a fraction of the CPU cost for short
// GLUE sentences. Keeping ints instead of three padded long arrays also lets MNLI/QQP's 400k examples fit in memory.
using static TorchSharp.torch;

namespace ElectraLab.Electra.Finetuning;

public sealed record EncodedInput(int[] Ids, int SecondSegmentStart)
{
    /// <summary>From padded (T) arrays as the GLUE encoder and SQuAD featurizer produce them.</summary>
    public static EncodedInput FromPadded(long[] inputIds, long[] attentionMask, long[] tokenTypeIds)
    {
        int length = 0;
        while (length < attentionMask.Length && attentionMask[length] != 0) length++;
        int second = Array.IndexOf(tokenTypeIds, 1L, 0, length);
        var ids = new int[length];
        for (int i = 0; i < length; i++) ids[i] = (int)inputIds[i];
        return new EncodedInput(ids, second < 0 ? length : second);
    }

    /// <summary>
    /// (B, T) input ids, attention mask and token type ids on <paramref name="device"/>, T = the longest row, padding id 0.
    /// Call inside the step's dispose scope.
    /// </summary>
    public static (Tensor InputIds, Tensor AttentionMask, Tensor TokenTypeIds) Batch(IReadOnlyList<EncodedInput> rows, Device device, int padId = 0)
    {
        int b = rows.Count, t = rows.Max(r => r.Ids.Length);
        var ids = new long[b * t];
        var mask = new long[b * t];
        var types = new long[b * t];
        if (padId != 0) Array.Fill(ids, padId);
        for (int r = 0; r < b; r++)
        {
            var row = rows[r];
            for (int i = 0; i < row.Ids.Length; i++)
            {
                ids[r * t + i] = row.Ids[i];
                mask[r * t + i] = 1;
                types[r * t + i] = i >= row.SecondSegmentStart ? 1 : 0;
            }
        }
        long[] shape = [b, t];
        return (tensor(ids, shape).to(device), tensor(mask, shape).to(device), tensor(types, shape).to(device));
    }
}
