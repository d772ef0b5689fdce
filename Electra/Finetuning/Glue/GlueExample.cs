namespace ElectraLab.Electra.Finetuning.Glue;

/// <summary>
/// One GLUE row. <paramref name="Index"/> is the file's own index column where it has one (else the 0-based data
/// row number, which is what GLUE submission files use for those tasks); <paramref name="Label"/> is the label
/// string exactly as the file writes it ("1", "entailment", "3.800"), or null for test rows.
/// </summary>
public sealed record GlueExample(string Guid, string Index, string TextA, string? TextB, string? Label)
{
    /// <summary>STS-B's score as a number.</summary>
    public double Score => Label is { } label
        ? double.Parse(label, System.Globalization.CultureInfo.InvariantCulture)
        : throw new InvalidOperationException($"{Guid} has no label");

    /// <summary>The same pair with the sentences swapped (for MRPC/STS-B's both-orders training).</summary>
    public GlueExample Swapped() => TextB is null
        ? throw new InvalidOperationException($"{Guid} is a single sentence and cannot be swapped")
        : this with { Guid = Guid + "-swapped", TextA = TextB, TextB = TextA };
}
