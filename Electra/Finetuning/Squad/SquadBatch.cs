namespace ElectraLab.Electra.Finetuning.Squad;

/// <summary>
/// Features stacked into row-major arrays for one step: InputIds, AttentionMask and TokenTypeIds are (B, T);
/// StartPositions and EndPositions are (B) training labels (0 = [CLS] for "no answer in this window", -1 in eval
/// mode); IsImpossible is (B), 1 where the window's label is [CLS], the target of an answerable classifier.
/// </summary>
public sealed class SquadBatch
{
    private SquadBatch(int size, int seqLength)
    {
        Size = size;
        SeqLength = seqLength;
        InputIds = new long[size * seqLength];
        AttentionMask = new long[size * seqLength];
        TokenTypeIds = new long[size * seqLength];
        StartPositions = new long[size];
        EndPositions = new long[size];
        IsImpossible = new float[size];
    }

    public int Size { get; }
    public int SeqLength { get; }
    public long[] InputIds { get; }
    public long[] AttentionMask { get; }
    public long[] TokenTypeIds { get; }
    public long[] StartPositions { get; }
    public long[] EndPositions { get; }
    public float[] IsImpossible { get; }

    public static SquadBatch From(IReadOnlyList<SquadFeature> features)
    {
        if (features.Count == 0) throw new ArgumentException("an empty batch");
        var t = features[0].InputIds.Length;
        var batch = new SquadBatch(features.Count, t);
        for (var i = 0; i < features.Count; i++)
        {
            var f = features[i];
            if (f.InputIds.Length != t) throw new ArgumentException($"feature {f.UniqueId} has {f.InputIds.Length} positions, the batch {t}");
            f.InputIds.CopyTo(batch.InputIds, i * t);
            f.AttentionMask.CopyTo(batch.AttentionMask, i * t);
            f.TokenTypeIds.CopyTo(batch.TokenTypeIds, i * t);
            batch.StartPositions[i] = f.StartPosition;
            batch.EndPositions[i] = f.EndPosition;
            batch.IsImpossible[i] = f.IsNullLabel ? 1 : 0;
        }
        return batch;
    }
}
