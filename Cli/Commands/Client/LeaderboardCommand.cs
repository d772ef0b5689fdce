// `electralab leaderboard [--benchmark glue|squad1|squad2] [--objective ...] [--tag ...] [--sort score] [--asc]`:
// the team's leaderboard: per-task medians over fine-tuning seeds, the benchmark score, train FLOPs and params.
using System.CommandLine;
using System.Text.Json.Nodes;

namespace ElectraLab.Cli.Commands.Client;

public static class LeaderboardCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var benchmark = new Option<string>("--benchmark") { Description = "glue (default), squad1 or squad2.", DefaultValueFactory = _ => "glue" };
        var objective = new Option<string>("--objective") { Description = "Only this objective (electra, mlm, electra-15, replace-mlm, all-tokens-mlm)." };
        var tag = new Option<string>("--tag") { Description = "Only experiments with this tag." };
        var sort = new Option<string>("--sort") { Description = "score (default), params, train_flops, generator_size, created_at, name, or a task column.", DefaultValueFactory = _ => "score" };
        var ascending = new Option<bool>("--asc") { Description = "Sort ascending (default: descending)." };
        var limit = new Option<int>("--limit") { Description = "Rows to show (1-500, default 20).", DefaultValueFactory = _ => 20 };
        var command = new Command("leaderboard", "Show the team's leaderboard: which objective wins at equal compute.")
        {
            benchmark, objective, tag, sort, ascending, limit,
        };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            using var client = options.Connect(parse);
            var query = $"api/leaderboard?benchmark={Uri.EscapeDataString(parse.GetValue(benchmark)!)}" +
                        $"&sort={Uri.EscapeDataString(parse.GetValue(sort)!)}&desc={(!parse.GetValue(ascending)).ToString().ToLowerInvariant()}" +
                        $"&limit={parse.GetValue(limit)}" +
                        (parse.GetValue(objective) is { } o ? $"&objective={Uri.EscapeDataString(o)}" : "") +
                        (parse.GetValue(tag) is { } t ? $"&tag={Uri.EscapeDataString(t)}" : "");
            Print(await client.GetAsync(query, cancellation), parse.InvocationConfiguration.Output);
        });
        return command;
    }

    /// <summary>A median with half its seeds' range (82.00±1.00): a gap smaller than that is seed noise.</summary>
    private static string WithRange(double? median, JsonNode? range)
    {
        if (median is null || range is null || (Formatting.Number(range["seeds"]) ?? 0) < 2) return Formatting.Score(median);
        var half = ((Formatting.Number(range["max"]) ?? 0) - (Formatting.Number(range["min"]) ?? 0)) / 2;
        return $"{Formatting.Score(median)}±{Formatting.Score(half)}";
    }

    /// <summary>Prints a GET /api/leaderboard answer as a table (shared with the demo).</summary>
    public static void Print(JsonNode board, TextWriter output)
    {
        var columns = board["columns"]!.AsArray().Select(c => Formatting.Text(c!["name"])).ToArray();
        var rows = board["rows"]!;
        // "#" is the rank among experiments evaluated on the same tasks; "score" is the mean over those tasks.
        var table = new TextTable(["#", "experiment", "objective", "gen", "params", "train FLOPs", "score", "tasks", .. columns, "status"]);
        foreach (var r in rows["items"]!.AsArray())
        {
            var cells = columns.Select(c => WithRange(Formatting.Number(r!["columns"]?[c]), r["seedRanges"]?[c]));
            var rank = Formatting.Number(r!["taskSetRank"]) is { } n ? ((long)n).ToString(System.Globalization.CultureInfo.InvariantCulture) : "-";
            table.Add([rank, Formatting.Text(r["name"]), Formatting.Text(r["objective"]), Formatting.Text(r["generatorSize"]),
                Formatting.Count(r["params"]), Formatting.Flops(r["trainFlops"]), Formatting.Score(Formatting.Number(r["taskSetScore"])),
                Formatting.Text(r["taskSet"]), .. cells, Formatting.Text(r["status"])]);
        }
        output.WriteLine($"{Formatting.Text(board["benchmark"])} leaderboard: {Formatting.Text(rows["total"])} experiments " +
                         "(medians over fine-tuning seeds ×100, ± half the seeds' range; score: the mean over the tasks " +
                         "each has, ranked among experiments with the same tasks)");
        table.WriteTo(output);
    }
}
