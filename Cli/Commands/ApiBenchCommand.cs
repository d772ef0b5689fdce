// `electralab bench api`: the leaderboard, experiment list and experiment details under 1, 50 and 200 concurrent
// keep-alive clients, against the API co-hosted in this process on a seeded scratch database, next to the rate of a
// trivial endpoint (/health/live) in the same process: the ceiling of the host, the load generator and the machine.
using System.CommandLine;
using System.Text.Json;
using ElectraLab.Benchmarks.Api;
using ElectraLab.Storage;

namespace ElectraLab.Cli.Commands;

public static class ApiBenchCommand
{
    public static Command Create()
    {
        var connection = new Option<string?>("--connection")
        {
            Description = "PostgreSQL server to run on (a scratch database is created and dropped). " +
                          $"Default: ConnectionStrings__{StorageOptions.ConnectionStringName}.",
        };
        var clients = new Option<int[]>("--clients")
        {
            Description = "Concurrent clients, one run each.", DefaultValueFactory = _ => [1, 50, 200], AllowMultipleArgumentsPerToken = true,
        };
        var duration = new Option<double>("--duration") { Description = "Seconds each run lasts.", DefaultValueFactory = _ => 10 };
        var warmup = new Option<double>("--warmup") { Description = "Seconds of load before the first run (not reported).", DefaultValueFactory = _ => 5 };
        var experiments = new Option<int>("--experiments") { Description = "Experiments seeded (spread over --sweeps).", DefaultValueFactory = _ => 200 };
        var sweeps = new Option<int>("--sweeps") { Description = "Sweeps seeded.", DefaultValueFactory = _ => 4 };
        var cache = new Option<string>("--cache") { Description = "on: the API as shipped; off: read models uncached.", DefaultValueFactory = _ => "on" };
        cache.AcceptOnlyFromAmong("on", "off");
        var json = new Option<bool>("--json") { Description = "Print one JSON object instead of the table." };
        var command = new Command("api", "Measure the read API (leaderboard, experiment list, experiment details) under concurrent clients.")
            { connection, clients, duration, warmup, experiments, sweeps, cache, json };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var server = parse.GetValue(connection)
                ?? Environment.GetEnvironmentVariable($"ConnectionStrings__{StorageOptions.ConnectionStringName}")
                ?? throw new UserInputException(
                    $"no database: pass --connection or set ConnectionStrings__{StorageOptions.ConnectionStringName}");
            var counts = parse.GetValue(clients)!;
            if (counts.Length == 0 || counts.Any(c => c is < 1 or > 2000)) throw new UserInputException("--clients must be between 1 and 2000");
            var seconds = parse.GetValue(duration);
            var warmupSeconds = parse.GetValue(warmup);
            if (seconds is <= 0 or > 600) throw new UserInputException("--duration must be more than 0 and at most 600 seconds");
            if (warmupSeconds is < 0 or > 600) throw new UserInputException("--warmup must be between 0 and 600 seconds");
            var seeded = parse.GetValue(experiments);
            var sweepCount = parse.GetValue(sweeps);
            if (seeded is < 1 or > 100_000) throw new UserInputException("--experiments must be between 1 and 100000");
            if (sweepCount < 1) throw new UserInputException("--sweeps must be at least 1");
            var asJson = parse.GetValue(json);
            var cached = parse.GetValue(cache) == "on";
            void Progress(string message)
            {
                if (!asJson) output.WriteLine($"  {message}");
            }

            var load = LoadAverage();
            await using var host = await ApiBenchHost.StartAsync(server, cached, cancellationToken);
            Progress($"API up at {host.Server} (read cache {(cached ? "on" : "off")}); seeding {seeded} experiments in {sweepCount} sweeps");
            var (team, key) = await host.CreateTeamAsync("bench", cancellationToken);
            // A second team with the same data shape, so every read is one team's among others, as in production.
            var (other, _) = await host.CreateTeamAsync("bench-other", cancellationToken);
            await ApiBenchDataset.SeedAsync(host.DataSource, host.StorageOptions, other, Math.Max(1, seeded / 4), 1, cancellationToken);
            var ids = await ApiBenchDataset.SeedAsync(host.DataSource, host.StorageOptions, team, seeded, sweepCount, cancellationToken);
            var mix = ReadMix(ids);

            if (warmupSeconds > 0)
            {
                Progress($"warming up for {warmupSeconds:0.#} s");
                await HttpLoad.RunAsync("warm-up", host.Server, key, mix, counts.Max(), TimeSpan.FromSeconds(warmupSeconds), cancellationToken);
            }
            var results = new List<LoadResult>();
            foreach (var count in counts)
            {
                Progress($"read mix, {count} client{(count == 1 ? "" : "s")}, {seconds:0.#} s");
                results.Add(await HttpLoad.RunAsync("read mix", host.Server, key, mix, count, TimeSpan.FromSeconds(seconds), cancellationToken));
            }
            Progress($"ceiling: /health/live, {counts.Max()} clients, {seconds:0.#} s");
            results.Add(await HttpLoad.RunAsync("ceiling: /health/live", host.Server, key, ["/health/live"], counts.Max(),
                TimeSpan.FromSeconds(seconds), cancellationToken));

            var context = $"{seeded} experiments in {sweepCount} sweeps, read cache {(cached ? "on" : "off")}, " +
                          $"{Environment.ProcessorCount} cores, load average at start {load}";
            if (asJson)
            {
                output.WriteLine(JsonSerializer.Serialize(new
                {
                    experiments = seeded, sweeps = sweepCount, cache = cached, cores = Environment.ProcessorCount, loadAverage = load,
                    mix = "leaderboard, experiment list, experiment details in turn", results,
                }, new JsonSerializerOptions(JsonSerializerDefaults.Web)));
            }
            else
            {
                WriteTable(output, results, context);
            }
            return results.Any(r => r.Requests == 0) ? 1 : 0;
        });
        return command;
    }

    /// <summary>
    /// The three reads in turn: the leaderboard (by score, and by train FLOPs), the list (first and second page), and
    /// each seeded experiment's details, so the details are many keys and the lists a few, as on the pages.
    /// </summary>
    private static List<string> ReadMix(IReadOnlyList<Guid> experiments)
    {
        string[] leaderboards = ["/api/leaderboard?benchmark=glue", "/api/leaderboard?benchmark=glue&sort=train_flops"];
        string[] lists = ["/api/experiments?limit=50", "/api/experiments?limit=50&offset=50"];
        var mix = new List<string>();
        for (var i = 0; i < experiments.Count; i++)
        {
            mix.Add(leaderboards[i % leaderboards.Length]);
            mix.Add(lists[i % lists.Length]);
            mix.Add($"/api/experiments/{experiments[i]}");
        }
        return mix;
    }

    private static string LoadAverage()
    {
        try
        {
            return string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));
        }
        catch (IOException)
        {
            return "unknown";
        }
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<LoadResult> results, string context)
    {
        string[] header = ["workload", "clients", "requests/s", "p50 ms", "p99 ms", "max ms", "errors"];
        var cells = results.Select(r => new[]
        {
            r.Workload, r.Clients.ToString(), r.RequestsPerSecond.ToString("N0"), r.P50Ms.ToString("0.0"), r.P99Ms.ToString("0.0"),
            r.MaxMs.ToString("0.0"), r.Errors.ToString(),
        }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => cells.Max(c => c[i].Length)).ToArray();
        output.WriteLine();
        output.WriteLine(context);
        foreach (var (row, index) in cells.Select((c, i) => (c, i)))
        {
            output.WriteLine("| " + string.Join(" | ", row.Select((c, i) => i == 0 ? c.PadRight(widths[i]) : c.PadLeft(widths[i]))) + " |");
            if (index == 0) output.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
        }
    }
}
