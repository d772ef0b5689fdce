namespace ElectraLab.Electra.Finetuning.Squad;

/// <summary>
/// One window of one example: `[CLS] query [SEP] doc-window [SEP]` padded to max_seq_length.
/// TokenToOrigMap gives, for a position in the window, the doc token it came from (-1 outside the doc part);
/// TokenIsMaxContext says whether this window is the one with the most context around that doc sub-token.
/// StartPosition/EndPosition are the training labels: the answer's positions in this window, or 0 and 0
/// ([CLS]) when the window does not contain the whole answer or the question has none; -1 in eval mode.
/// </summary>
public sealed record SquadFeature(
    int UniqueId,
    int ExampleIndex,
    int DocSpanIndex,
    IReadOnlyList<string> Tokens,
    long[] InputIds,
    long[] AttentionMask,
    long[] TokenTypeIds,
    int[] TokenToOrigMap,
    bool[] TokenIsMaxContext,
    int StartPosition,
    int EndPosition)
{
    /// <summary>True when the training label points at [CLS] (no answer in this window).</summary>
    public bool IsNullLabel => StartPosition == 0 && EndPosition == 0;
}
