using ElectraLab.Storage.Results;
using Npgsql;
using NpgsqlTypes;

namespace ElectraLab.Storage.Queries;

public sealed record LeaderboardQuery(
    Guid TeamId, string Benchmark, string? Tag = null, string? Objective = null, string? Status = null,
    string SortBy = "score", bool Descending = true, int Offset = 0, int Limit = 50);

public sealed record LeaderboardRow(
    Guid ExperimentId, string Name, string Objective, double GeneratorSize, string ModelSize, long Params,
    double TrainFlops, string Status, IReadOnlyList<string> Tags, double? Score,
    IReadOnlyDictionary<string, double> Columns, int ColumnsReported);

/// <summary>
/// The leaderboard of one team on one benchmark, read from the per-experiment medians that
/// <see cref="EvaluationResultStore"/> keeps current; filtered, sorted and paged in SQL.
/// </summary>
public sealed class LeaderboardQueries(NpgsqlDataSource dataSource)
{
    private static readonly Dictionary<string, string> SortColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["score"] = "l.score",
        ["params"] = "e.params",
        ["train_flops"] = "e.train_flops",
        ["generator_size"] = "e.generator_size",
        ["created_at"] = "e.created_at",
        ["name"] = "e.name",
    };

    public async Task<Page<LeaderboardRow>> GetAsync(LeaderboardQuery query, CancellationToken cancellationToken = default)
    {
        if (!Benchmarks.Exists(query.Benchmark))
        {
            throw new ArgumentException($"Unknown benchmark '{query.Benchmark}'.", nameof(query));
        }
        var limit = Math.Clamp(query.Limit, 1, 500);
        var offset = Math.Max(query.Offset, 0);
        await using var command = dataSource.CreateCommand();
        command.Parameters.Add(new() { Value = query.TeamId });
        command.Parameters.Add(new() { Value = query.Benchmark });
        var where = "e.team_id = $1 AND l.benchmark = $2";
        if (query.Tag is not null)
        {
            command.Parameters.Add(new() { Value = new[] { query.Tag } });
            where += $" AND e.tags @> ${command.Parameters.Count}::text[]";
        }
        if (query.Objective is not null)
        {
            command.Parameters.Add(new() { Value = query.Objective });
            where += $" AND e.objective = ${command.Parameters.Count}";
        }
        if (query.Status is not null)
        {
            command.Parameters.Add(new() { Value = query.Status });
            where += $" AND e.status = ${command.Parameters.Count}";
        }
        string sort;
        if (SortColumns.TryGetValue(query.SortBy, out var column))
        {
            sort = column;
        }
        else if (Benchmarks.For(query.Benchmark).Any(c => c.Column == query.SortBy))
        {
            command.Parameters.Add(new() { Value = query.SortBy, NpgsqlDbType = NpgsqlDbType.Text });
            sort = $"(l.columns ->> ${command.Parameters.Count})::double precision";
        }
        else
        {
            throw new ArgumentException($"Cannot sort the {query.Benchmark} leaderboard by '{query.SortBy}'.", nameof(query));
        }
        command.Parameters.Add(new() { Value = limit });
        command.Parameters.Add(new() { Value = offset });
        var direction = query.Descending ? "DESC" : "ASC";
        command.CommandText = $"""
            SELECT e.id, e.name, e.objective, e.generator_size, e.model_size, e.params, e.train_flops, e.status, e.tags,
                   l.score, l.columns::text, l.columns_reported, count(*) OVER () AS total
            FROM leaderboard_entries l
            JOIN experiments e ON e.id = l.experiment_id
            WHERE {where}
            ORDER BY {sort} {direction} NULLS LAST, e.id
            LIMIT ${command.Parameters.Count - 1} OFFSET ${command.Parameters.Count}
            """;

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var rows = new List<LeaderboardRow>();
        long total = 0;
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new LeaderboardRow(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetString(4),
                reader.GetInt64(5), reader.GetDouble(6), reader.GetString(7), reader.GetFieldValue<string[]>(8),
                reader.IsDBNull(9) ? null : reader.GetDouble(9), JsonColumns.ParseNumbers(reader.GetString(10)),
                reader.GetInt32(11)));
            total = reader.GetInt64(12);
        }
        if (rows.Count == 0 && offset > 0)
        {
            total = await CountAsync(query, cancellationToken);
        }
        return new Page<LeaderboardRow>(rows, total, offset, limit);
    }

    private async Task<long> CountAsync(LeaderboardQuery query, CancellationToken cancellationToken)
    {
        var page = await GetAsync(query with { Offset = 0, Limit = 1 }, cancellationToken);
        return page.Total;
    }
}
