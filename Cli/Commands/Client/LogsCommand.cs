// `electralab logs <experiment> [--follow] [--tail N]`: an experiment's job logs (each attempt's runner lines and its
// worker's output), oldest first; --follow keeps printing new lines until the experiment ends.
using System.CommandLine;
using System.Globalization;
using System.Text.Json.Nodes;

namespace ElectraLab.Cli.Commands.Client;

public static class LogsCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var id = new Argument<Guid>("experiment") { Description = "An experiment id." };
        var follow = new Option<bool>("--follow", "-f") { Description = "Keep printing new lines until the experiment ends." };
        var tail = new Option<int?>("--tail") { Description = "Start with the newest N lines only (1-5000)." };
        var command = new Command("logs", "Print an experiment's job logs.") { id, follow, tail };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var last = parse.GetValue(tail);
            if (last is < 1 or > 5000) throw new UserInputException("--tail must be between 1 and 5000");
            using var client = options.Connect(parse);
            var experiment = parse.GetValue(id);
            var query = last is { } n ? $"tail={n}" : "limit=5000";
            if (parse.GetValue(follow))
            {
                await foreach (var data in client.EventsAsync($"api/experiments/{experiment}/logs?follow=true&{query}", cancellation))
                {
                    Print(JsonNode.Parse(data)!, output);
                }
                return;
            }
            if (last is not null)
            {
                foreach (var line in (await client.GetAsync($"api/experiments/{experiment}/logs?{query}", cancellation))["lines"]!.AsArray())
                {
                    Print(line!, output);
                }
                return;
            }
            // Every page, oldest first.
            var after = 0L;
            while (true)
            {
                var page = await client.GetAsync($"api/experiments/{experiment}/logs?after={after}&{query}", cancellation);
                var lines = page["lines"]!.AsArray();
                foreach (var line in lines) Print(line!, output);
                if (lines.Count == 0) return;
                after = page["next"]!.GetValue<long>();
            }
        });
        return command;
    }

    /// <summary>"2026-12-07 13:20:11 1a2b3c4d runner: attempt ... started"</summary>
    private static void Print(JsonNode line, TextWriter output)
    {
        var time = line["time"]!.GetValue<DateTimeOffset>().ToLocalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture);
        var job = Formatting.Text(line["jobId"]);
        output.WriteLine($"{time} {job[..Math.Min(8, job.Length)]} {Formatting.Text(line["source"])}: {Formatting.Text(line["line"])}");
    }
}
