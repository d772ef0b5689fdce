// `electralab sweeps [--status ...] [--text ...] [--offset N] [--limit N]`: the team's sweeps, newest first, with how
// many of each one's experiments are in each state.
using System.CommandLine;

namespace ElectraLab.Cli.Commands.Client;

public static class SweepsCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var status = new Option<string>("--status") { Description = "running, completed, failed or cancelled." };
        var text = new Option<string>("--text") { Description = "The sweep's name contains this text." };
        var offset = new Option<int>("--offset") { Description = "Skip this many (paging).", DefaultValueFactory = _ => 0 };
        var limit = new Option<int>("--limit") { Description = "Page size (1-500, default 20).", DefaultValueFactory = _ => 20 };
        var command = new Command("sweeps", "List the team's sweeps (newest first).") { status, text, offset, limit };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var client = options.Connect(parse);
            var query = $"api/sweeps?offset={parse.GetValue(offset)}&limit={parse.GetValue(limit)}" +
                        Formatting.Filter("status", parse.GetValue(status)) + Formatting.Filter("text", parse.GetValue(text));
            var page = await client.GetAsync(query, cancellation);
            var table = new TextTable("created", "sweep", "status", "experiments", "by state", "id");
            foreach (var s in page["items"]!.AsArray())
            {
                var counts = s!["counts"]!.AsObject().OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key} {kv.Value}");
                table.Add(Formatting.Date(s["createdAt"]), Formatting.Text(s["name"]), Formatting.Text(s["status"]),
                    Formatting.Count(s["experiments"]), string.Join(", ", counts), Formatting.Text(s["id"]));
            }
            table.WriteTo(output);
            output.WriteLine(Formatting.PageFooter(page, table.Count, "sweeps"));
        });
        return command;
    }
}
