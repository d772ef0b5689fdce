// `electralab fork <id> [--name ...] [--set key=value ...] [--watch]`: a new experiment from an experiment's config with
// overrides (pre-training keys, e.g. --set mask_prob=0.25), its parent recorded.
using System.CommandLine;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace ElectraLab.Cli.Commands.Client;

public static class ForkCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var id = new Argument<Guid>("id") { Description = "The experiment to fork." };
        var name = new Option<string>("--name") { Description = "The new experiment's name (default: <parent>-fork-<n>)." };
        var sets = new Option<string[]>("--set") { Description = "Override one pre-training key: --set mask_prob=0.25 (repeatable; values are JSON, else text)." };
        var watch = new Option<bool>("--watch") { Description = "Follow the new experiment until it finishes." };
        var command = new Command("fork", "Fork an experiment with config overrides.") { id, name, sets, watch };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var overrides = ParseOverrides(parse.GetValue(sets) ?? []);
            using var client = options.Connect(parse);
            var body = new JsonObject { ["overrides"] = overrides };
            if (parse.GetValue(name) is { } n) body["name"] = n;
            var created = await client.PostJsonAsync($"api/experiments/{parse.GetValue(id)}/fork", body, cancellation);
            var child = Formatting.Text(created["experimentId"]);
            output.WriteLine($"experiment {child} forked from {parse.GetValue(id)} (sweep {Formatting.Text(created["sweepId"])})");
            if (parse.GetValue(watch))
            {
                await SweepWatcher.WatchAsync(client, Guid.Parse(Formatting.Text(created["sweepId"])), output, TimeSpan.FromSeconds(1),
                    cancellation);
            }
        });
        return command;
    }

    /// <summary>key=value pairs; a value that parses as JSON (numbers, true, lists) is sent as such, anything else as text.</summary>
    public static JsonObject ParseOverrides(IEnumerable<string> pairs)
    {
        var overrides = new JsonObject();
        foreach (var pair in pairs)
        {
            var equals = pair.IndexOf('=');
            if (equals <= 0) throw new UserInputException($"--set {pair}: expected key=value");
            var key = pair[..equals].Trim();
            var text = pair[(equals + 1)..].Trim();
            JsonNode? value;
            try
            {
                value = JsonNode.Parse(text);
            }
            catch (JsonException)
            {
                value = JsonValue.Create(text);
            }
            overrides[key] = value;
        }
        return overrides;
    }
}
