// `electralab watch <sweep-or-experiment-id>`: live progress bars per experiment until the sweep (or the one
// experiment) finishes; exit 0 when everything completed, 1 when something failed or was cancelled.
using System.CommandLine;

namespace ElectraLab.Cli.Commands.Client;

public static class WatchCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var id = new Argument<Guid>("id") { Description = "A sweep id, or an experiment id (follows that experiment only)." };
        var interval = new Option<double>("--interval") { Description = "Seconds between refreshes (default 1).", DefaultValueFactory = _ => 1 };
        var command = new Command("watch", "Follow a sweep's experiments with live progress bars until they finish.") { id, interval };
        options.AddTo(command);
        command.SetAction(async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var seconds = parse.GetValue(interval);
            if (seconds is <= 0 or > 3600) throw new UserInputException("--interval must be between 0 and 3600 seconds");
            using var client = options.Connect(parse);
            var (sweepId, experimentId) = await ResolveAsync(client, parse.GetValue(id), cancellation);
            var sweep = await SweepWatcher.WatchAsync(client, sweepId, output, TimeSpan.FromSeconds(seconds), cancellation, experimentId);
            var failed = sweep["experiments"]!.AsArray()
                .Where(e => experimentId is null || Formatting.Text(e!["id"]) == experimentId.ToString())
                .Count(e => (Formatting.Text(e!["status"])) is "failed" or "cancelled");
            return failed == 0 ? 0 : 1;
        });
        return command;
    }

    /// <summary>A sweep id is watched as is; an experiment id is watched inside its sweep.</summary>
    public static async Task<(Guid Sweep, Guid? Experiment)> ResolveAsync(ElectraLabClient client, Guid id, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetAsync($"api/sweeps/{id}", cancellationToken);
            return (id, null);
        }
        catch (ClientException e) when (e.Message.Contains(" 404 "))
        {
            var experiment = await client.GetAsync($"api/experiments/{id}", cancellationToken);
            var sweep = experiment["summary"]?["sweepId"];
            if (sweep is null) throw new ClientException($"experiment {id} belongs to no sweep");
            return (Guid.Parse(Formatting.Text(sweep)), id);
        }
    }
}
