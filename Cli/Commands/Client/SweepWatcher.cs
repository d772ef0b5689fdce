using System.Text.Json.Nodes;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;

namespace ElectraLab.Cli.Commands.Client;

/// <summary>
/// Follows a sweep through the API (GET /api/sweeps/{id} once per interval) and draws its experiments' progress until
/// the sweep finishes; one request per refresh, whatever the sweep's size.
/// </summary>
public static class SweepWatcher
{
    /// <summary>Returns the sweep as GET /api/sweeps/{id} last answered (finished, or its one experiment finished).</summary>
    public static async Task<JsonNode> WatchAsync(ElectraLabClient client, Guid sweepId, TextWriter output, TimeSpan interval,
        CancellationToken cancellationToken, Guid? onlyExperiment = null)
    {
        var board = new ProgressBoard(output, ProgressBoard.IsInteractive(output));
        while (true)
        {
            var sweep = await client.GetAsync($"api/sweeps/{sweepId}", cancellationToken);
            var lines = sweep["experiments"]!.AsArray()
                .Where(e => onlyExperiment is null || Formatting.Text(e!["id"]) == onlyExperiment.ToString())
                .Select(e => new ExperimentProgress(Formatting.Text(e!["name"]), Formatting.Text(e["status"]),
                    (long)(Formatting.Number(e["step"]) ?? 0), Formatting.Number(e["totalSteps"]) is { } total ? (long)total : null,
                    // While evaluating, what the fine-tuning jobs are doing stands where a reason would.
                    e["activity"]?.GetValue<string>() ?? e["reason"]?.GetValue<string>(), Formatting.Number(e["stepsPerSecond"]) ?? 0))
                .ToList();
            var state = Formatting.Text(sweep["status"]);
            var done = lines.Count(l => ExperimentStates.TerminalNames.Contains(l.State));
            board.Draw(lines, $"sweep {Formatting.Text(sweep["name"])} ({sweepId}): {state}, {done}/{lines.Count} finished");
            var finished = onlyExperiment is null
                ? state is SweepStatus.Completed or SweepStatus.Cancelled or SweepStatus.Failed
                : lines.All(l => ExperimentStates.TerminalNames.Contains(l.State));
            if (finished) return sweep;
            await Task.Delay(interval, cancellationToken);
        }
    }
}
