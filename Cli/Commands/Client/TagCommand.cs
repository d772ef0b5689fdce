// `electralab tag <experiment> <tag>... [--remove]` and `electralab note <experiment> <text>`: an experiment's tags and
// notes, the team's own words about it (PATCH /api/experiments/{id}).
using System.CommandLine;
using System.Text.Json.Nodes;

namespace ElectraLab.Cli.Commands.Client;

public static class TagCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var id = new Argument<Guid>("experiment") { Description = "The experiment." };
        var tags = new Argument<string[]>("tags") { Description = "Tags to add (or remove with --remove).", Arity = ArgumentArity.OneOrMore };
        var remove = new Option<bool>("--remove") { Description = "Remove these tags instead of adding them." };
        var command = new Command("tag", "Add tags to an experiment (or remove them).") { id, tags, remove };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            using var client = options.Connect(parse);
            var path = $"api/experiments/{parse.GetValue(id)}";
            var current = (await client.GetAsync(path, cancellation))["summary"]?["tags"]?.AsArray().Select(t => t!.GetValue<string>()).ToList() ?? [];
            var given = parse.GetValue(tags)!.Select(t => t.Trim()).ToList();
            var next = parse.GetValue(remove) ? current.Except(given, StringComparer.Ordinal).ToList() : current.Union(given, StringComparer.Ordinal).ToList();
            var updated = await client.PatchJsonAsync(path, new JsonObject { ["tags"] = new JsonArray(next.Select(t => (JsonNode?)t).ToArray()) }, cancellation);
            parse.InvocationConfiguration.Output.WriteLine($"{Formatting.Text(updated["name"])}: tags {Formatting.Text(updated["tags"])}");
        });
        return command;
    }

    public static Command CreateNote()
    {
        var options = new ClientOptions();
        var id = new Argument<Guid>("experiment") { Description = "The experiment." };
        var text = new Argument<string>("text") { Description = "The notes (replace the current ones; \"\" clears them)." };
        var command = new Command("note", "Set an experiment's notes.") { id, text };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            using var client = options.Connect(parse);
            var updated = await client.PatchJsonAsync($"api/experiments/{parse.GetValue(id)}", new JsonObject { ["notes"] = parse.GetValue(text) }, cancellation);
            parse.InvocationConfiguration.Output.WriteLine($"{Formatting.Text(updated["name"])}: notes saved");
        });
        return command;
    }
}
