// GLUE inputs as the official code builds them (ELECTRA-REFERENCE §6.1): `[CLS] a [SEP]` or `[CLS] a [SEP] b [SEP]`,
// segment ids 0 for [CLS], a and the first [SEP] and 1 for b and the last [SEP]; a pair too long for
// max_seq_length loses tokens one at a time from the end of whichever side is longer (b on a tie, as the
// official `_truncate_seq_pair`), a single sentence is cut to max_seq_length - 2. Padding is id 0 with mask 0.
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Electra.Finetuning.Glue;

/// <summary>One encoded example: three arrays of length max_seq_length and its label (class id, or the score for STS-B).</summary>
public sealed record GlueFeatures(long[] InputIds, long[] AttentionMask, long[] TokenTypeIds, long LabelId, float Score);

public sealed class GlueEncoder
{
    private readonly WordPieceTokenizer _tokenizer;
    private readonly GlueTask _task;

    /// <param name="maxSeqLength">128 in the official GLUE configuration.</param>
    public GlueEncoder(WordPieceTokenizer tokenizer, GlueTask task, int maxSeqLength = 128)
    {
        if (maxSeqLength < 5) throw new ArgumentOutOfRangeException(nameof(maxSeqLength), maxSeqLength, "needs room for [CLS], [SEP], [SEP] and text");
        _tokenizer = tokenizer;
        _task = task;
        MaxSeqLength = maxSeqLength;
    }

    public int MaxSeqLength { get; }

    /// <summary>Encodes one example. Unlabelled (test) examples get label id -1 and score NaN.</summary>
    public GlueFeatures Encode(GlueExample example)
    {
        var a = new List<int>(_tokenizer.Encode(example.TextA));
        var b = example.TextB is null ? null : new List<int>(_tokenizer.Encode(example.TextB));
        var (inputIds, mask, segments) = Pack(a, b, _tokenizer.ClsId, _tokenizer.SepId, _tokenizer.PadId, MaxSeqLength);
        long labelId = -1;
        var score = float.NaN;
        if (example.Label is not null)
        {
            if (_task.IsRegression) score = (float)example.Score;
            else labelId = _task.LabelId(example.Label);
        }
        return new GlueFeatures(inputIds, mask, segments, labelId, score);
    }

    /// <summary>Encodes a batch into row-major (B, T) arrays ready for torch.tensor(data, [B, T]).</summary>
    public GlueBatch EncodeBatch(IReadOnlyList<GlueExample> examples)
    {
        var t = MaxSeqLength;
        var batch = new GlueBatch(examples.Count, t);
        for (var i = 0; i < examples.Count; i++)
        {
            var features = Encode(examples[i]);
            features.InputIds.CopyTo(batch.InputIds, i * t);
            features.AttentionMask.CopyTo(batch.AttentionMask, i * t);
            features.TokenTypeIds.CopyTo(batch.TokenTypeIds, i * t);
            batch.LabelIds[i] = features.LabelId;
            batch.Scores[i] = features.Score;
        }
        return batch;
    }

    /// <summary>
    /// Truncates (in place) and lays out one input. <paramref name="b"/> null means a single sentence.
    /// Returns input ids, attention mask and token type ids, each padded to <paramref name="maxSeqLength"/>.
    /// </summary>
    public static (long[] InputIds, long[] AttentionMask, long[] TokenTypeIds) Pack(List<int> a, List<int>? b,
        int clsId, int sepId, int padId, int maxSeqLength)
    {
        if (b is null)
        {
            if (a.Count > maxSeqLength - 2) a.RemoveRange(maxSeqLength - 2, a.Count - (maxSeqLength - 2));
        }
        else TruncatePair(a, b, maxSeqLength - 3);

        var inputIds = new long[maxSeqLength];
        var mask = new long[maxSeqLength];
        var segments = new long[maxSeqLength];
        if (padId != 0) Array.Fill(inputIds, padId);
        var n = 0;
        void Put(int id, int segment)
        {
            inputIds[n] = id;
            mask[n] = 1;
            segments[n] = segment;
            n++;
        }
        Put(clsId, 0);
        foreach (var id in a) Put(id, 0);
        Put(sepId, 0);
        if (b is not null)
        {
            foreach (var id in b) Put(id, 1);
            Put(sepId, 1);
        }
        return (inputIds, mask, segments);
    }

    /// <summary>The official `_truncate_seq_pair`: pop from the end of the longer side (b on a tie) until it fits.</summary>
    public static void TruncatePair<T>(List<T> a, List<T> b, int maxTokens)
    {
        while (a.Count + b.Count > maxTokens)
        {
            if (a.Count > b.Count) a.RemoveAt(a.Count - 1);
            else b.RemoveAt(b.Count - 1);
        }
    }
}
