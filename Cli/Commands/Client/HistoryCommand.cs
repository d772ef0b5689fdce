// `electralab history [--status ...] [--objective ...] [--tag ...] [--text ...] [--sweep id] [--sort -created_at] [--offset N]
// [--limit N]`: the team's experiments, newest first unless sorted otherwise, one page at a time.
using System.CommandLine;

namespace ElectraLab.Cli.Commands.Client;

public static class HistoryCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var status = new Option<string>("--status") { Description = "created, queued, pretraining, evaluating, completed, failed, cancelled, stopped-early." };
        var objective = new Option<string>("--objective") { Description = "Only this objective." };
        var tag = new Option<string>("--tag") { Description = "Only experiments with this tag." };
        var text = new Option<string>("--text") { Description = "Name or notes contain this text." };
        var sweep = new Option<Guid?>("--sweep") { Description = "Only this sweep's experiments." };
        var sort = new Option<string>("--sort") { Description = "created_at, name, status, objective, params, train_flops, generator_size; '-' first for descending (default -created_at)." };
        var offset = new Option<int>("--offset") { Description = "Skip this many (paging).", DefaultValueFactory = _ => 0 };
        var limit = new Option<int>("--limit") { Description = "Page size (1-500, default 20).", DefaultValueFactory = _ => 20 };
        var command = new Command("history", "List the team's experiments (newest first by default).") { status, objective, tag, text, sweep, sort, offset, limit };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var client = options.Connect(parse);
            var query = $"api/experiments?offset={parse.GetValue(offset)}&limit={parse.GetValue(limit)}" +
                        Formatting.Filter("status", parse.GetValue(status)) + Formatting.Filter("objective", parse.GetValue(objective)) +
                        Formatting.Filter("tag", parse.GetValue(tag)) + Formatting.Filter("text", parse.GetValue(text)) +
                        Formatting.Filter("sweep", parse.GetValue(sweep)?.ToString()) + Formatting.Filter("sort", parse.GetValue(sort));
            var page = await client.GetAsync(query, cancellation);
            var table = new TextTable("created", "experiment", "objective", "gen", "params", "train FLOPs", "status", "tags", "id");
            foreach (var e in page["items"]!.AsArray())
            {
                table.Add(Formatting.Date(e!["createdAt"]), Formatting.Text(e["name"]), Formatting.Text(e["objective"]),
                    Formatting.Text(e["generatorSize"]), Formatting.Count(e["params"]), Formatting.Flops(e["trainFlops"]),
                    Formatting.Text(e["status"]), Formatting.Text(e["tags"]), Formatting.Text(e["id"]));
            }
            table.WriteTo(output);
            output.WriteLine(Formatting.PageFooter(page, table.Count, "experiments"));
        });
        return command;
    }
}
