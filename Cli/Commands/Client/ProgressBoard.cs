using System.Globalization;
using System.Text;

namespace ElectraLab.Cli.Commands.Client;

/// <summary>One experiment's line on the board.</summary>
/// <summary>One experiment's line on the board; <see cref="StepsPerSecond"/> is its pre-training speed while it runs.</summary>
public sealed record ExperimentProgress(string Name, string State, long Step, long? TotalSteps, string? Reason, double StepsPerSecond = 0);

/// <summary>
/// Draws one progress bar per experiment. On a terminal the board redraws in place (ANSI cursor-up); into a file or a
/// pipe it prints the header when it changes and an experiment's line only when that experiment changes state or
/// advances a tenth of its steps, so logs stay short.
/// </summary>
public sealed class ProgressBoard(TextWriter output, bool interactive)
{
    private const int BarWidth = 24;
    private readonly Dictionary<string, (string State, long Decile)> _printed = [];
    private int _drawnLines;
    private string? _printedHeader;

    public static bool IsInteractive(TextWriter output) => ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;

    public void Draw(IReadOnlyList<ExperimentProgress> experiments, string header)
    {
        if (interactive)
        {
            var board = new StringBuilder();
            if (_drawnLines > 0) board.Append($"\u001b[{_drawnLines}A");
            board.Append("\u001b[2K").AppendLine(header);
            foreach (var e in experiments) board.Append("\u001b[2K").AppendLine(Line(e, experiments));
            output.Write(board.ToString());
            output.Flush();
            _drawnLines = experiments.Count + 1;
            return;
        }
        if (header != _printedHeader)
        {
            _printedHeader = header;
            output.WriteLine(header);
        }
        foreach (var e in experiments)
        {
            var decile = e.TotalSteps is > 0 ? Math.Min(10, e.Step * 10 / e.TotalSteps.Value) : 0;
            if (_printed.TryGetValue(e.Name, out var last) && last.State == e.State && last.Decile == decile) continue;
            _printed[e.Name] = (e.State, decile);
            output.WriteLine(Line(e, experiments));
        }
    }

    public static string Line(ExperimentProgress e, IReadOnlyList<ExperimentProgress> all)
    {
        var nameWidth = all.Max(x => x.Name.Length);
        var fraction = e.TotalSteps is > 0 ? Math.Clamp((double)e.Step / e.TotalSteps.Value, 0, 1) : 0;
        // Finished runs show a full bar (a no-op job reports no steps); evaluation follows the last pre-training step.
        if (e.State == "completed" || (e.State == "evaluating" && e.TotalSteps is null)) fraction = 1;
        var filled = (int)Math.Round(fraction * BarWidth);
        var steps = e.TotalSteps is { } total
            ? $"{e.Step.ToString(CultureInfo.InvariantCulture).PadLeft(total.ToString(CultureInfo.InvariantCulture).Length)}/{total} steps"
            : $"step {e.Step}";
        var reason = string.IsNullOrWhiteSpace(e.Reason) ? "" : $"  ({e.Reason})";
        return $"  {e.Name.PadRight(nameWidth)}  [{new string('#', filled)}{new string('.', BarWidth - filled)}] {steps}  {e.State}{Speed(e)}{reason}";
    }

    /// <summary>"  2.10 steps/s, 3 min 20 s left" while pre-training, from the job's heartbeats.</summary>
    private static string Speed(ExperimentProgress e)
    {
        if (e.StepsPerSecond <= 0) return "";
        var rate = e.StepsPerSecond.ToString("0.00", CultureInfo.InvariantCulture);
        if (e.TotalSteps is not { } total || total <= e.Step) return $"  {rate} steps/s";
        var left = TimeSpan.FromSeconds((total - e.Step) / e.StepsPerSecond);
        return $"  {rate} steps/s, {(int)left.TotalMinutes} min {left.Seconds} s left";
    }
}
