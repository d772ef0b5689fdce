namespace ElectraLab.Config.Finetuning.Glue;

/// <summary>
/// Where a split's fields live in its TSV rows, as the official code reads them. Negative positions count
/// from the end of the row (STS-B's -3/-2/-1, MNLI's label -1), as Python's line[-1] does. A null label means
/// the split is unlabelled (test); a null index means the 0-based data-row number serves as the index.
/// </summary>
public sealed record GlueColumns(bool HasHeader, int TextA, int? TextB, int? Label, int? Index)
{
    /// <summary>The fewest fields a row needs for every position here to exist.</summary>
    public int MinimumFields => new[] { TextA, TextB ?? 0, Label ?? 0, Index ?? 0 }.Max(p => p >= 0 ? p + 1 : -p);
}
