// `electralab compare <id> <id> [...]`: the experiments side by side, the config keys on which they differ, and
// their benchmark results.
using System.CommandLine;

namespace ElectraLab.Cli.Commands.Client;

public static class CompareCommand
{
    public static Command Create()
    {
        var options = new ClientOptions();
        var ids = new Argument<Guid[]>("ids") { Description = "Two or more experiment ids.", Arity = new ArgumentArity(2, 50) };
        var command = new Command("compare", "Compare experiments: config differences and results.") { ids };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var output = parse.InvocationConfiguration.Output;
            using var client = options.Connect(parse);
            var comparison = await client.GetAsync($"api/experiments/compare?ids={string.Join(",", parse.GetValue(ids)!)}", cancellation);
            var experiments = comparison["experiments"]!.AsArray();
            var names = experiments.Select(e => Formatting.Text(e!["summary"]!["name"])).ToArray();

            var differences = new TextTable(["config key", .. names]);
            foreach (var d in comparison["differences"]!.AsArray())
            {
                differences.Add([Formatting.Text(d!["path"]), .. d["values"]!.AsArray().Select(v => v is null ? "(unset)" : Formatting.Text(v))]);
            }
            if (differences.Count == 0) output.WriteLine("the configs are identical");
            else differences.WriteTo(output);

            var results = new TextTable(["result", .. names]);
            var keys = experiments.SelectMany(e => e!["results"]!.AsArray())
                .SelectMany(b => new[] { $"{Formatting.Text(b!["benchmark"])} score" }
                    .Concat(b["columns"]!.AsObject().Select(c => $"{Formatting.Text(b["benchmark"])} {c.Key}")))
                .Distinct().ToList();
            foreach (var key in keys)
            {
                results.Add([key, .. experiments.Select(e => Formatting.Score(Lookup(e!["results"]!.AsArray(), key)))]);
            }
            foreach (var (label, field) in new[] { ("train FLOPs", "trainFlops"), ("params", "params"), ("status", "status") })
            {
                results.Add([label, .. experiments.Select(e => field == "trainFlops" ? Formatting.Flops(e!["summary"]![field])
                    : field == "params" ? Formatting.Count(e!["summary"]![field]) : Formatting.Text(e!["summary"]![field]))]);
            }
            output.WriteLine();
            results.WriteTo(output);
        });
        return command;
    }

    private static double? Lookup(System.Text.Json.Nodes.JsonArray benchmarks, string key)
    {
        foreach (var b in benchmarks)
        {
            var name = Formatting.Text(b!["benchmark"]);
            if (key == $"{name} score") return Formatting.Number(b["score"]);
            foreach (var c in b["columns"]!.AsObject())
            {
                if (key == $"{name} {c.Key}") return Formatting.Number(c.Value);
            }
        }
        return null;
    }
}
