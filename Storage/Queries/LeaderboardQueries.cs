using ElectraLab.Storage.Resilience;
using ElectraLab.Storage.Results;
using Npgsql;

namespace ElectraLab.Storage.Queries;

public sealed record LeaderboardQuery(
    Guid TeamId, string Benchmark, string? Tag = null, string? Objective = null, string? Status = null,
    string SortBy = "score", bool Descending = true, int Offset = 0, int Limit = 50);

/// <summary>
/// One experiment on a benchmark's leaderboard. <see cref="Score"/> is the benchmark's own score (every task reported);
/// <see cref="TaskSetScore"/> is the mean over the tasks it has (<see cref="TaskSet"/>, e.g. "GLUE-3: SST-2, MRPC, RTE"),
/// and <see cref="TaskSetRank"/> its rank among the experiments with the same task set.
/// </summary>
public sealed record LeaderboardRow(
    Guid ExperimentId, string Name, string Objective, double GeneratorSize, string ModelSize, long Params,
    double TrainFlops, string Status, IReadOnlyList<string> Tags, double? Score,
    IReadOnlyDictionary<string, double> Columns, int ColumnsReported, IReadOnlyDictionary<string, SeedRange> SeedRanges,
    string TaskSet, double? TaskSetScore, int? TaskSetRank);

/// <summary>How the fine-tuning seeds of one column spread around its median.</summary>
public sealed record SeedRange(double Min, double Max, int Seeds);

/// <summary>
/// The leaderboard of one team on one benchmark, read from the per-experiment medians that
/// <see cref="EvaluationResultStore"/> keeps current; filtered, sorted and paged in SQL.
/// </summary>
public sealed class LeaderboardQueries(NpgsqlDataSource dataSource)
{
    // Columns of the ranked set below. "score" ranks within task sets: the largest sets first, then by their score.
    private static readonly Dictionary<string, string> SortColumns = new(StringComparer.OrdinalIgnoreCase)
    {
        ["score"] = "r.set_size DESC, r.task_set, r.set_score",
        ["params"] = "r.params",
        ["train_flops"] = "r.train_flops",
        ["generator_size"] = "r.generator_size",
        ["created_at"] = "r.created_at",
        ["name"] = "r.name",
    };

    public Task<Page<LeaderboardRow>> GetAsync(LeaderboardQuery query, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => GetOnceAsync(query, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<Page<LeaderboardRow>> GetOnceAsync(LeaderboardQuery query, CancellationToken cancellationToken = default)
    {
        if (!Benchmarks.Exists(query.Benchmark))
        {
            throw new ArgumentException($"Unknown benchmark '{query.Benchmark}'.", nameof(query));
        }
        var limit = Math.Clamp(query.Limit, 1, 500);
        var offset = Math.Max(query.Offset, 0);
        var values = new List<object> { query.TeamId, query.Benchmark, Benchmarks.ScoreColumns(query.Benchmark).ToArray() };
        string Add(object value)
        {
            values.Add(value);
            return $"${values.Count}";
        }
        var where = "l.team_id = $1 AND l.benchmark = $2";
        // Redundant for correctness (entries carry their team) but it lets the join read the covering team index.
        var join = "JOIN experiments e ON e.id = l.experiment_id AND e.team_id = $1";
        if (query.Tag is not null)
        {
            where += $" AND e.tags @> {Add(new[] { query.Tag })}::text[]";
        }
        if (query.Objective is not null)
        {
            where += $" AND e.objective = {Add(query.Objective)}";
        }
        if (query.Status is not null)
        {
            where += $" AND e.status = {Add(query.Status)}";
        }
        string sort;
        if (SortColumns.TryGetValue(query.SortBy, out var column))
        {
            sort = column;
        }
        else if (Benchmarks.For(query.Benchmark).Any(c => c.Column == query.SortBy))
        {
            sort = $"(r.columns ->> {Add(query.SortBy)}::text)::double precision";
        }
        else
        {
            throw new ArgumentException($"Cannot sort the {query.Benchmark} leaderboard by '{query.SortBy}'.", nameof(query));
        }
        var direction = query.Descending ? "DESC" : "ASC";

        // Count and page in one round trip. Sorted by score, the page walks the (team, benchmark, score) index and
        // stops at its LIMIT; the count needs the experiments only when a filter is on them.
        await using var batch = dataSource.CreateBatch();
        var filtersExperiments = query.Tag is not null || query.Objective is not null || query.Status is not null;
        var count = new NpgsqlBatchCommand(filtersExperiments
            ? $"SELECT count(*) FROM leaderboard_entries l {join} WHERE {where}"
            : $"SELECT count(*) FROM leaderboard_entries l WHERE {where}");
        // Every filtered row gets its task set (the score columns it reported) and that set's mean, ranked within the
        // set; then the page. The rank covers the whole filtered leaderboard, not the page.
        var page = new NpgsqlBatchCommand($"""
            WITH r AS (
                SELECT e.id, e.name, e.objective, e.generator_size, e.model_size, e.params, e.train_flops, e.status, e.tags,
                       e.created_at, l.score, l.columns, l.columns_reported, l.seed_ranges,
                       coalesce(s.task_set, '') AS task_set, s.set_size, s.set_score
                FROM leaderboard_entries l
                {join}
                CROSS JOIN LATERAL (
                    SELECT string_agg(c.key, ',' ORDER BY c.key) AS task_set, count(*) AS set_size,
                           avg(c.value::double precision) AS set_score
                    FROM jsonb_each_text(l.columns) c WHERE c.key = ANY($3::text[])) s
                WHERE {where}),
            ranked AS (
                SELECT r.*, CASE WHEN r.set_score IS NULL THEN NULL
                                 ELSE rank() OVER (PARTITION BY r.task_set ORDER BY r.set_score DESC NULLS LAST) END AS set_rank
                FROM r)
            SELECT r.id, r.name, r.objective, r.generator_size, r.model_size, r.params, r.train_flops, r.status, r.tags,
                   r.score, r.columns::text, r.columns_reported, r.seed_ranges::text, r.task_set, r.set_score, r.set_rank
            FROM ranked r
            ORDER BY {sort} {direction} NULLS LAST, r.id
            LIMIT {limit} OFFSET {offset}
            """);
        foreach (var value in values)
        {
            count.Parameters.Add(new() { Value = value });
            page.Parameters.Add(new() { Value = value });
        }
        batch.BatchCommands.Add(count);
        batch.BatchCommands.Add(page);

        await using var reader = await batch.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        var total = reader.GetInt64(0);
        await reader.NextResultAsync(cancellationToken);
        var rows = new List<LeaderboardRow>();
        while (await reader.ReadAsync(cancellationToken))
        {
            rows.Add(new LeaderboardRow(
                reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetDouble(3), reader.GetString(4),
                reader.GetInt64(5), reader.GetDouble(6), reader.GetString(7), reader.GetFieldValue<string[]>(8),
                reader.IsDBNull(9) ? null : reader.GetDouble(9), JsonColumns.ParseNumbers(reader.GetString(10)),
                reader.GetInt32(11), JsonColumns.ParseRanges(reader.GetString(12)),
                Benchmarks.TaskSetLabel(query.Benchmark, reader.GetString(13).Split(',', StringSplitOptions.RemoveEmptyEntries)),
                reader.IsDBNull(14) ? null : reader.GetDouble(14), reader.IsDBNull(15) ? null : (int)reader.GetInt64(15)));
        }
        return new Page<LeaderboardRow>(rows, total, offset, limit);
    }
}
