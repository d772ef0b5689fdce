using System.Text.Json;
using ElectraLab.Storage.Resilience;
using Npgsql;

namespace ElectraLab.Storage.Queries;

/// <summary>One configuration key whose value differs between the compared experiments (JSON text, null if absent).</summary>
public sealed record ConfigDifference(string Path, IReadOnlyList<string?> Values);

public sealed record BenchmarkResult(string Benchmark, double? Score, IReadOnlyDictionary<string, double> Columns);

/// <summary>The data an experiment trained on (null fields until its first job started): see Storage.Datasets.DatasetPackage.</summary>
public sealed record ExperimentData(string? Dataset, string? Sha256, string? VocabSha256, int? VocabSize);

public sealed record ComparedExperiment(ExperimentSummary Summary, IReadOnlyList<BenchmarkResult> Results, ExperimentData? Data = null);

public sealed record ExperimentComparison(IReadOnlyList<ComparedExperiment> Experiments, IReadOnlyList<ConfigDifference> Differences);

/// <summary>Side-by-side comparison: the team's experiments in the order asked, their results, and the config diff.</summary>
public sealed class ExperimentComparisonQueries(NpgsqlDataSource dataSource)
{
    public Task<ExperimentComparison> CompareAsync(Guid teamId, IReadOnlyList<Guid> experimentIds,
        CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => CompareOnceAsync(teamId, experimentIds, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<ExperimentComparison> CompareOnceAsync(Guid teamId, IReadOnlyList<Guid> experimentIds,
        CancellationToken cancellationToken = default)
    {
        await using var command = dataSource.CreateCommand($"""
            SELECT {ExperimentHistoryQueries.SummaryColumns}, e.config::text,
                   (SELECT coalesce(jsonb_agg(jsonb_build_object('benchmark', l.benchmark, 'score', l.score,
                                                                 'columns', l.columns)), '[]')::text
                    FROM leaderboard_entries l WHERE l.experiment_id = e.id),
                   e.dataset_name, e.dataset_sha256, e.vocab_sha256, e.vocab_size
            FROM experiments e
            WHERE e.team_id = $1 AND e.id = ANY($2)
            """);
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = experimentIds.ToArray() });
        var found = new Dictionary<Guid, (ComparedExperiment Experiment, string Config)>();
        await using (var reader = await command.ExecuteReaderAsync(cancellationToken))
        {
            while (await reader.ReadAsync(cancellationToken))
            {
                var summary = ExperimentHistoryQueries.ReadSummary(reader);
                var results = ParseResults(reader.GetString(16));
                var data = new ExperimentData(reader.IsDBNull(17) ? null : reader.GetString(17), reader.IsDBNull(18) ? null : reader.GetString(18),
                    reader.IsDBNull(19) ? null : reader.GetString(19), reader.IsDBNull(20) ? null : reader.GetInt32(20));
                found[summary.Id] = (new ComparedExperiment(summary, results, data), reader.GetString(15));
            }
        }
        var ordered = experimentIds.Where(found.ContainsKey).Distinct().Select(id => found[id]).ToList();
        var flattened = ordered.Select(e => Flatten(e.Config)).ToList();
        var differences = flattened.SelectMany(f => f.Keys).Distinct().Order(StringComparer.Ordinal)
            .Select(path => new ConfigDifference(path, flattened.Select(f => f.GetValueOrDefault(path)).ToList()))
            .Where(d => d.Values.Distinct().Count() > 1)
            .ToList();
        return new ExperimentComparison(ordered.Select(e => e.Experiment).ToList(), differences);
    }

    private static List<BenchmarkResult> ParseResults(string json)
    {
        using var document = JsonDocument.Parse(json);
        return document.RootElement.EnumerateArray().Select(e => new BenchmarkResult(
            e.GetProperty("benchmark").GetString()!,
            e.GetProperty("score").ValueKind == JsonValueKind.Null ? null : e.GetProperty("score").GetDouble(),
            JsonColumns.ParseNumbers(e.GetProperty("columns").GetRawText()))).ToList();
    }

    /// <summary>Flattens a JSON document to dotted paths (arrays are compared whole).</summary>
    internal static Dictionary<string, string> Flatten(string json)
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        using var document = JsonDocument.Parse(json);
        void Walk(JsonElement element, string path)
        {
            if (element.ValueKind == JsonValueKind.Object)
            {
                foreach (var property in element.EnumerateObject())
                {
                    Walk(property.Value, path.Length == 0 ? property.Name : $"{path}.{property.Name}");
                }
            }
            else
            {
                result[path] = element.GetRawText();
            }
        }
        Walk(document.RootElement, "");
        return result;
    }
}
