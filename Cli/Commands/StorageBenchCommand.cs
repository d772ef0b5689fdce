// `electralab bench storage`: metric ingestion, checkpoint write/read next to raw COPY of the same bytes, and
// leaderboard/history latency on a generated dataset, all in a scratch database created on the given server.
using System.CommandLine;
using ElectraLab.Storage;
using ElectraLab.Benchmarks.Storage;

namespace ElectraLab.Cli.Commands;

public static class StorageBenchCommand
{
    public static Command Create()
    {
        var connection = new Option<string?>("--connection")
        {
            Description = "PostgreSQL server to run on (a scratch database is created and dropped). " +
                          $"Default: ConnectionStrings__{StorageOptions.ConnectionStringName}.",
        };
        var scale = new Option<double>("--scale")
        {
            Description = "Dataset size: 1 = 100k experiments and 100M metric points (minutes to generate).",
            DefaultValueFactory = _ => 1.0,
        };
        var points = new Option<int>("--ingest-points") { Description = "Points written through the metric writer.", DefaultValueFactory = _ => 2_000_000 };
        var megabytes = new Option<int>("--checkpoint-mb") { Description = "Checkpoint size in MB.", DefaultValueFactory = _ => 100 };
        var queries = new Option<int>("--queries") { Description = "Timed queries of each kind.", DefaultValueFactory = _ => 200 };
        var teams = new Option<int>("--teams") { Description = "Teams the experiments are spread over (every query is one team's).", DefaultValueFactory = _ => 20 };
        var keep = new Option<bool>("--keep") { Description = "Keep the scratch database afterwards." };
        var reuse = new Option<string?>("--reuse") { Description = "Only time the queries, on a database a --keep run left." };
        var command = new Command("storage", "Measure PostgreSQL storage: metric ingestion, checkpoints, leaderboard and history queries.")
            { connection, scale, points, megabytes, queries, teams, keep, reuse };
        command.SetAction(async (parse, cancellationToken) =>
        {
            var output = parse.InvocationConfiguration.Output;
            var server = parse.GetValue(connection)
                ?? Environment.GetEnvironmentVariable($"ConnectionStrings__{StorageOptions.ConnectionStringName}")
                ?? throw new UserInputException(
                    $"no database: pass --connection or set ConnectionStrings__{StorageOptions.ConnectionStringName}");
            var options = new BenchmarkOptions
            {
                Scale = parse.GetValue(scale),
                IngestPoints = parse.GetValue(points),
                CheckpointMegabytes = parse.GetValue(megabytes),
                Queries = parse.GetValue(queries),
                Teams = Math.Max(1, parse.GetValue(teams)),
            };
            var benchmark = new StorageBenchmark(server, options, message => output.WriteLine($"  {message}"));
            var rows = parse.GetValue(reuse) is { } database
                ? await benchmark.RunQueriesAsync(database, cancellationToken)
                : await benchmark.RunAsync(parse.GetValue(keep), cancellationToken);
            WriteTable(output, rows);
            return 0;
        });
        return command;
    }

    private static void WriteTable(TextWriter output, IReadOnlyList<BenchmarkRow> rows)
    {
        string[] header = ["measurement", "result", "target", "notes"];
        var cells = rows.Select(r => new[] { r.Measurement, r.Value, r.Target, r.Note }).Prepend(header).ToList();
        var widths = Enumerable.Range(0, header.Length).Select(i => cells.Max(c => c[i].Length)).ToArray();
        output.WriteLine();
        foreach (var (row, index) in cells.Select((c, i) => (c, i)))
        {
            output.WriteLine("| " + string.Join(" | ", row.Select((c, i) => c.PadRight(widths[i]))) + " |");
            if (index == 0)
            {
                output.WriteLine("|" + string.Join("|", widths.Select(w => new string('-', w + 2))) + "|");
            }
        }
    }
}
