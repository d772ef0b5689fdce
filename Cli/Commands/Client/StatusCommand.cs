// `electralab status <sweep-or-experiment-id>`: a sweep's experiments (state, step), or one experiment's config
// summary, jobs, results and checkpoints.
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ElectraLab.Cli.Commands.Client;

public static class StatusCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var id = new Argument<Guid>("id") { Description = "A sweep id or an experiment id." };
        var command = new Command("status", "Show a sweep or an experiment.") { id };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var client = options.Connect(parse);
            var (sweepId, experimentId) = await WatchCommand.ResolveAsync(client, parse.GetValue(id), cancellation);
            if (experimentId is null)
            {
                PrintSweep(await client.GetAsync($"api/sweeps/{sweepId}", cancellation), output);
            }
            else
            {
                PrintExperiment(await client.GetAsync($"api/experiments/{experimentId}", cancellation), output);
            }
        });
        return command;
    }

    private static void PrintSweep(JsonNode sweep, TextWriter output)
    {
        output.WriteLine($"sweep {Formatting.Text(sweep["name"])} ({Formatting.Text(sweep["id"])}): {Formatting.Text(sweep["status"])}, " +
                         $"created {Formatting.Date(sweep["createdAt"])}");
        var table = new TextTable("experiment", "status", "step", "id", "reason");
        foreach (var e in sweep["experiments"]!.AsArray())
        {
            table.Add(Formatting.Text(e!["name"]), (Formatting.Text(e["status"])), Formatting.Count(e["step"]),
                Formatting.Text(e["id"]), Formatting.Text(e["reason"]));
        }
        table.WriteTo(output);
    }

    private static void PrintExperiment(JsonNode details, TextWriter output)
    {
        var s = details["summary"]!;
        output.WriteLine($"experiment {Formatting.Text(s["name"])} ({Formatting.Text(s["id"])}): {Formatting.Text(s["status"])}");
        output.WriteLine($"  objective {Formatting.Text(s["objective"])}, model {Formatting.Text(s["modelSize"])}, " +
                         $"{Formatting.Count(s["params"])} params, generator {Formatting.Text(s["generatorSize"])}, " +
                         $"train FLOPs {Formatting.Flops(s["trainFlops"])}, seed {Formatting.Text(details["seed"])}");
        if (s["parentExperimentId"] is { } parent) output.WriteLine($"  forked from {Formatting.Text(parent)}");
        if (s["tags"] is JsonArray { Count: > 0 } tags) output.WriteLine($"  tags: {Formatting.Text(tags)}");
        if (!string.IsNullOrWhiteSpace(Formatting.Text(s["notes"]))) output.WriteLine($"  notes: {Formatting.Text(s["notes"])}");

        var jobs = new TextTable("job", "task", "checkpoint", "status", "attempt", "silo");
        foreach (var j in details["jobs"]!.AsArray())
        {
            jobs.Add(Formatting.Text(j!["kind"]), Formatting.Text(j["task"]), Formatting.Text(j["checkpointStep"]),
                Formatting.Text(j["status"]), Formatting.Text(j["attempt"]), Formatting.Text(j["silo"]));
        }
        output.WriteLine();
        if (jobs.Count == 0) output.WriteLine("no jobs recorded");
        else jobs.WriteTo(output);

        var results = details["results"]!.AsArray();
        if (results.Count > 0)
        {
            var table = new TextTable("task", "metric", "checkpoint", "seed", "value");
            foreach (var r in results)
            {
                table.Add(Formatting.Text(r!["task"]), Formatting.Text(r["metric"]), Formatting.Text(r["checkpointStep"]),
                    Formatting.Text(r["seed"]), Formatting.Number(r["value"])?.ToString("0.0000", CultureInfo.InvariantCulture));
            }
            output.WriteLine();
            table.WriteTo(output);
        }
    }
}
