// `electralab submit <sweep.yaml|json> [--watch]`: sends a sweep spec to POST /api/sweeps and prints the sweep and its
// experiments; with --watch it then follows them as `watch` does.
using System.CommandLine;

namespace ElectraLab.Cli.Commands.Client;

public static class SubmitCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var file = new Argument<FileInfo>("spec") { Description = "A sweep spec, .yaml/.yml or .json (see examples/sweep.yaml)." };
        var watch = new Option<bool>("--watch") { Description = "Follow the sweep's progress until it finishes." };
        var command = new Command("submit", "Submit a sweep spec to the server.") { file, watch };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var spec = parse.GetRequiredValue(file);
            if (!spec.Exists) throw new FileNotFoundException($"no sweep spec at {spec.FullName}");
            var mediaType = spec.Extension.ToLowerInvariant() switch
            {
                ".yaml" or ".yml" => "application/yaml",
                ".json" => "application/json",
                _ => throw new UserInputException($"{spec.Name}: a sweep spec must end in .yaml, .yml or .json"),
            };
            using var client = options.Connect(parse);
            var created = await client.PostTextAsync("api/sweeps", await File.ReadAllTextAsync(spec.FullName, cancellation), mediaType,
                cancellation);
            var sweepId = Formatting.Text(created["sweepId"]);
            var experiments = created["experimentIds"]!.AsArray();
            output.WriteLine($"sweep {sweepId}: {experiments.Count} experiment{(experiments.Count == 1 ? "" : "s")} queued");
            foreach (var id in experiments) output.WriteLine($"  {Formatting.Text(id)}");
            if (parse.GetValue(watch))
            {
                await SweepWatcher.WatchAsync(client, Guid.Parse(sweepId), output, TimeSpan.FromSeconds(1), cancellation);
            }
            else
            {
                output.WriteLine($"follow it with: electralab watch {sweepId}");
            }
        });
        return command;
    }
}
