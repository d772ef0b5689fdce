// Reads a GLUE split. GLUE's TSVs are read as the official code reads them: split on tabs only, with quotes
// not special (csv.reader(quotechar=None)), so a sentence that starts with " is kept verbatim. Rows that the
// official code would trip over (too few fields, a label outside the task's set, an unparsable STS-B score)
// are skipped, counted and reported with their line numbers instead of failing the whole file: the real QQP
// and MNLI files carry a handful of them.
using System.Globalization;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Electra.Finetuning.Glue;

/// <summary>A row that was skipped: its 1-based line number in the file and why.</summary>
public sealed record GlueMalformedRow(int Line, string Reason);

/// <summary>A loaded split: its examples in file order and the rows that were skipped.</summary>
public sealed record GlueData(GlueTask Task, GlueSplit Split, string Path, IReadOnlyList<GlueExample> Examples,
    IReadOnlyList<GlueMalformedRow> Malformed)
{
    /// <summary>How many examples carry each label (or each distinct score for STS-B), sorted by label.</summary>
    public IReadOnlyDictionary<string, int> LabelCounts => Examples.Where(e => e.Label is not null)
        .GroupBy(e => e.Label!, StringComparer.Ordinal)
        .ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal);
}

public static class GlueLoader
{
    /// <summary>Loads <paramref name="split"/> of <paramref name="task"/> from a GLUE folder (the one holding CoLA/, SST-2/, ...).</summary>
    public static GlueData Load(GlueTask task, string glueDirectory, GlueSplit split) =>
        LoadFile(task, task.FilePath(glueDirectory, split), split);

    public static GlueData LoadFile(GlueTask task, string path, GlueSplit split)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file ({task.Name} {split.ToString().ToLowerInvariant()})", path);
        var columns = task.Columns(split);
        var examples = new List<GlueExample>();
        var malformed = new List<GlueMalformedRow>();
        var prefix = split.ToString().ToLowerInvariant();
        var lineNumber = 0;
        // StreamReader drops the UTF-8 BOM that MRPC's header starts with; ReadLine takes \n and \r\n alike.
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (columns.HasHeader && lineNumber == 1) continue;
            // The 0-based data-row number, counting skipped rows too, so that it stays the row's position in the file.
            var rowNumber = lineNumber - (columns.HasHeader ? 2 : 1);
            var fields = line.Split('\t');
            if (fields.Length < columns.MinimumFields)
            {
                malformed.Add(new GlueMalformedRow(lineNumber, $"{fields.Length} fields, need at least {columns.MinimumFields}"));
                continue;
            }
            var label = columns.Label is { } l ? Field(fields, l) : null;
            if (label is not null && LabelProblem(task, label) is { } problem)
            {
                malformed.Add(new GlueMalformedRow(lineNumber, problem));
                continue;
            }
            var index = columns.Index is { } i ? Field(fields, i) : rowNumber.ToString(CultureInfo.InvariantCulture);
            var textB = columns.TextB is { } b ? Field(fields, b) : null;
            examples.Add(new GlueExample($"{prefix}-{rowNumber}", index, Field(fields, columns.TextA), textB, label));
        }
        return new GlueData(task, split, path, examples, malformed);
    }

    private static string Field(string[] fields, int position) => fields[position >= 0 ? position : fields.Length + position];

    private static string? LabelProblem(GlueTask task, string label)
    {
        if (task.IsRegression)
            return double.TryParse(label, NumberStyles.Float, CultureInfo.InvariantCulture, out _) ? null : $"score '{label}' is not a number";
        return task.Labels.Contains(label) ? null : $"label '{label}' is not one of {string.Join(", ", task.Labels)}";
    }
}
