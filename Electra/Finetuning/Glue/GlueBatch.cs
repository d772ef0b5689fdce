namespace ElectraLab.Electra.Finetuning.Glue;

/// <summary>
/// A batch of encoded GLUE examples as flat row-major arrays: InputIds, AttentionMask and TokenTypeIds are
/// (B, T); LabelIds (class id, -1 when unlabelled) and Scores (STS-B score, NaN when unlabelled) are (B).
/// </summary>
public sealed class GlueBatch(int size, int seqLength)
{
    public int Size { get; } = size;
    public int SeqLength { get; } = seqLength;
    public long[] InputIds { get; } = new long[size * seqLength];
    public long[] AttentionMask { get; } = new long[size * seqLength];
    public long[] TokenTypeIds { get; } = new long[size * seqLength];
    public long[] LabelIds { get; } = new long[size];
    public float[] Scores { get; } = new float[size];
}
