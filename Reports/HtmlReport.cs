using System.Net;
using System.Text;

namespace ElectraLab.Reports;

/// <summary>A report as one HTML fragment (the web page's body): the same blocks, figures inline.</summary>
public static class HtmlReport
{
    public static string Render(ReportDocument document)
    {
        var html = new StringBuilder();
        html.Append("<article class=\"report\">\n<h1>").Append(Escape(document.Title)).Append("</h1>\n");
        foreach (var block in document.Blocks)
        {
            switch (block)
            {
                case ReportHeading h:
                    var level = Math.Clamp(h.Level, 2, 6);
                    html.Append("<h").Append(level).Append('>').Append(Escape(h.Text)).Append("</h").Append(level).Append(">\n");
                    break;
                case ReportParagraph p:
                    html.Append("<p>").Append(Escape(p.Text)).Append("</p>\n");
                    break;
                case ReportBullets b:
                    html.Append("<ul class=\"findings\">\n");
                    foreach (var item in b.Items) html.Append("<li>").Append(Escape(item)).Append("</li>\n");
                    html.Append("</ul>\n");
                    break;
                case ReportTable t:
                    html.Append("<table class=\"report-table\">\n<thead><tr>");
                    foreach (var cell in t.Header) html.Append("<th>").Append(Escape(cell)).Append("</th>");
                    html.Append("</tr></thead>\n<tbody>\n");
                    foreach (var row in t.Rows)
                    {
                        html.Append("<tr>");
                        foreach (var cell in row) html.Append("<td>").Append(Escape(cell)).Append("</td>");
                        html.Append("</tr>\n");
                    }
                    html.Append("</tbody>\n</table>\n");
                    break;
                case ReportFigure f:
                    // The SVG is ours (SvgPlot escapes every text it draws), so it goes in as markup.
                    html.Append("<figure>").Append(f.Svg).Append("<figcaption>").Append(Escape(f.Caption)).Append("</figcaption></figure>\n");
                    break;
            }
        }
        return html.Append("</article>\n").ToString();
    }

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
