using System.Globalization;
using System.Net;
using System.Text;

namespace ElectraLab.Reports;

/// <summary>One series of a plot: points with their intervals.</summary>
public sealed record PlotSeries(string Name, IReadOnlyList<(double X, Estimate Y)> Points);

/// <summary>
/// A line plot with 95% interval whiskers, drawn as self-contained SVG text (no fonts or scripts to fetch). Coordinates
/// are printed with one decimal in the invariant culture, so the same data always draws the same bytes.
/// </summary>
public static class SvgPlot
{
    private static readonly string[] Colors = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];
    private const int Width = 640, Height = 360, Left = 64, Right = 170, Top = 20, Bottom = 48;

    public static string Lines(IReadOnlyList<PlotSeries> series, string xLabel, string yLabel, bool logX)
    {
        var points = series.SelectMany(s => s.Points).ToList();
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture,
            $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{Height}\" viewBox=\"0 0 {Width} {Height}\" font-family=\"sans-serif\" font-size=\"11\">\n");
        svg.Append(CultureInfo.InvariantCulture, $"<rect x=\"0\" y=\"0\" width=\"{Width}\" height=\"{Height}\" fill=\"white\"/>\n");
        if (points.Count == 0)
        {
            svg.Append("<text x=\"20\" y=\"40\">no evaluated points</text>\n</svg>\n");
            return svg.ToString();
        }
        double Tx(double x) => logX ? Math.Log10(Math.Max(x, 1)) : x;
        var xs = points.Select(p => Tx(p.X)).ToList();
        var ys = points.SelectMany(p => new[] { p.Y.Low, p.Y.High, p.Y.Value }).ToList();
        var (x0, x1) = Pad(xs.Min(), xs.Max());
        var (y0, y1) = Pad(ys.Min(), ys.Max());
        double Px(double x) => Left + (Tx(x) - x0) / (x1 - x0) * (Width - Left - Right);
        double Py(double y) => Height - Bottom - (y - y0) / (y1 - y0) * (Height - Top - Bottom);

        // Frame, ticks and labels.
        svg.Append(Format($"<rect x=\"{Left}\" y=\"{Top}\" width=\"{Width - Left - Right}\" height=\"{Height - Top - Bottom}\" fill=\"none\" stroke=\"#888\"/>\n"));
        foreach (var t in Ticks(y0, y1))
        {
            svg.Append(Format($"<line x1=\"{Left - 4}\" x2=\"{Left}\" y1=\"{Py(t):0.0}\" y2=\"{Py(t):0.0}\" stroke=\"#888\"/>"));
            svg.Append(Format($"<text x=\"{Left - 6}\" y=\"{Py(t) + 4:0.0}\" text-anchor=\"end\">{t:0.#}</text>\n"));
        }
        foreach (var t in Ticks(x0, x1))
        {
            var x = logX ? Math.Pow(10, t) : t;
            var label = logX ? $"1e{t:0.#}" : x.ToString("0.##", CultureInfo.InvariantCulture);
            var px = Left + (t - x0) / (x1 - x0) * (Width - Left - Right);
            svg.Append(Format($"<line x1=\"{px:0.0}\" x2=\"{px:0.0}\" y1=\"{Height - Bottom}\" y2=\"{Height - Bottom + 4}\" stroke=\"#888\"/>"));
            svg.Append(Format($"<text x=\"{px:0.0}\" y=\"{Height - Bottom + 16}\" text-anchor=\"middle\">{Escape(label)}</text>\n"));
        }
        svg.Append(Format($"<text x=\"{(Left + Width - Right) / 2}\" y=\"{Height - 8}\" text-anchor=\"middle\">{Escape(xLabel)}</text>\n"));
        svg.Append(Format($"<text transform=\"translate(14 {(Top + Height - Bottom) / 2}) rotate(-90)\" text-anchor=\"middle\">{Escape(yLabel)}</text>\n"));

        for (var i = 0; i < series.Count; i++)
        {
            var color = Colors[i % Colors.Length];
            var line = series[i].Points.OrderBy(p => p.X).ToList();
            if (line.Count > 1)
            {
                var path = string.Join(" ", line.Select(p => Format($"{Px(p.X):0.0},{Py(p.Y.Value):0.0}")));
                svg.Append(Format($"<polyline class=\"series\" fill=\"none\" stroke=\"{color}\" stroke-width=\"2\" points=\"{path}\"/>\n"));
            }
            foreach (var (x, y) in line)
            {
                svg.Append(Format($"<line stroke=\"{color}\" x1=\"{Px(x):0.0}\" x2=\"{Px(x):0.0}\" y1=\"{Py(y.Low):0.0}\" y2=\"{Py(y.High):0.0}\"/>"));
                svg.Append(Format($"<circle fill=\"{color}\" cx=\"{Px(x):0.0}\" cy=\"{Py(y.Value):0.0}\" r=\"3\"/>\n"));
            }
            var ly = Top + 14 + 16 * i;
            svg.Append(Format($"<rect x=\"{Width - Right + 12}\" y=\"{ly - 9}\" width=\"10\" height=\"10\" fill=\"{color}\"/>"));
            svg.Append(Format($"<text x=\"{Width - Right + 26}\" y=\"{ly}\">{Escape(series[i].Name)}</text>\n"));
        }
        return svg.Append("</svg>\n").ToString();
    }

    private static (double, double) Pad(double min, double max)
    {
        if (max - min < 1e-9) return (min - 1, max + 1);
        var pad = (max - min) * 0.08;
        return (min - pad, max + pad);
    }

    /// <summary>About five round ticks inside [lo, hi].</summary>
    private static IEnumerable<double> Ticks(double lo, double hi)
    {
        var raw = (hi - lo) / 5;
        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(raw)));
        var step = new[] { 1.0, 2, 5, 10 }.Select(m => m * magnitude).First(s => s >= raw);
        for (var t = Math.Ceiling(lo / step) * step; t <= hi; t += step) yield return Math.Round(t, 10);
    }

    private static string Format(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);

    private static string Escape(string text) => WebUtility.HtmlEncode(text);
}
