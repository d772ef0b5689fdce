namespace ElectraLab.Reports;

/// <summary>A report as blocks, so one builder feeds both renderers (Markdown + SVG files, and HTML).</summary>
public abstract record ReportBlock;

public sealed record ReportHeading(int Level, string Text) : ReportBlock;

public sealed record ReportParagraph(string Text) : ReportBlock;

public sealed record ReportBullets(IReadOnlyList<string> Items) : ReportBlock;

/// <summary>A table; cells are plain text (renderers escape them).</summary>
public sealed record ReportTable(IReadOnlyList<string> Header, IReadOnlyList<IReadOnlyList<string>> Rows) : ReportBlock;

/// <summary>An SVG figure: <see cref="FileName"/> where Markdown links it, <see cref="Svg"/> the whole drawing.</summary>
public sealed record ReportFigure(string FileName, string Svg, string Caption) : ReportBlock;

public sealed record ReportDocument(string Title, IReadOnlyList<ReportBlock> Blocks);
