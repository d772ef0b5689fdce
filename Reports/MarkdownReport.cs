using System.Text;

namespace ElectraLab.Reports;

/// <summary>A report as Markdown with its figures as separate SVG files (linked by name), "\n" line ends, no timestamps.</summary>
public static class MarkdownReport
{
    public static (string Markdown, IReadOnlyDictionary<string, string> Figures) Render(ReportDocument document)
    {
        var text = new StringBuilder();
        var figures = new SortedDictionary<string, string>(StringComparer.Ordinal);
        text.Append("# ").Append(document.Title).Append('\n');
        foreach (var block in document.Blocks)
        {
            text.Append('\n');
            switch (block)
            {
                case ReportHeading h:
                    text.Append(new string('#', h.Level)).Append(' ').Append(h.Text).Append('\n');
                    break;
                case ReportParagraph p:
                    text.Append(p.Text).Append('\n');
                    break;
                case ReportBullets b:
                    foreach (var item in b.Items) text.Append("- ").Append(item).Append('\n');
                    break;
                case ReportTable t:
                    text.Append("| ").Append(string.Join(" | ", t.Header.Select(Cell))).Append(" |\n");
                    text.Append('|').Append(string.Concat(t.Header.Select(_ => " --- |"))).Append('\n');
                    foreach (var row in t.Rows) text.Append("| ").Append(string.Join(" | ", row.Select(Cell))).Append(" |\n");
                    break;
                case ReportFigure f:
                    figures[f.FileName] = f.Svg;
                    text.Append("![").Append(f.Caption).Append("](").Append(f.FileName).Append(")\n");
                    break;
            }
        }
        return (text.ToString(), figures);
    }

    private static string Cell(string text) => text.Replace("|", "\\|", StringComparison.Ordinal).Replace("\n", " ", StringComparison.Ordinal);
}
