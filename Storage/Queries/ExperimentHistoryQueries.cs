using ElectraLab.Storage.Resilience;
using Npgsql;

namespace ElectraLab.Storage.Queries;

public sealed record ExperimentHistoryQuery(
    Guid TeamId, string? Search = null, string? Objective = null, string? Status = null, string? Tag = null,
    Guid? SweepId = null, DateTimeOffset? CreatedAfter = null, DateTimeOffset? CreatedBefore = null,
    int Offset = 0, int Limit = 50, string Sort = ExperimentHistoryQueries.DefaultSort);

public sealed record ExperimentSummary(
    Guid Id, string Name, string Objective, string Status, IReadOnlyList<string> Tags, string? Notes, string ModelSize,
    long Params, double GeneratorSize, double TrainFlops, Guid? SweepId, Guid? ParentExperimentId,
    DateTimeOffset CreatedAt, string? FailureReason = null,
    /// <summary>The newest step it logged metrics at (0 before any).</summary>
    long Step = 0);

/// <summary>
/// A team's experiments, newest first unless <see cref="ExperimentHistoryQuery.Sort"/> says otherwise (a column of
/// <see cref="SortColumns"/>, '-' in front for descending). <see cref="ExperimentHistoryQuery.Search"/> matches a substring of the name or
/// notes (trigram index) or a whole tag. Only the active filters are put in the SQL so the planner sees them.
/// </summary>
public sealed class ExperimentHistoryQueries(NpgsqlDataSource dataSource)
{
    internal const string SummaryColumns =
        "e.id, e.name, e.objective, e.status, e.tags, e.notes, e.model_size, e.params, e.generator_size, " +
        "e.train_flops, e.sweep_id, e.parent_experiment_id, e.created_at, e.failure_reason, " +
        // The newest logged step: every objective logs learning_rate, so one backward probe of its rollups finds it.
        "coalesce((SELECT r.last_step FROM metric_rollups r WHERE r.experiment_id = e.id AND r.name = 'learning_rate' " +
        "ORDER BY r.block DESC LIMIT 1), 0)";

    public const string DefaultSort = "-created_at";

    /// <summary>What the history sorts by; ties are broken by id so pages never overlap.</summary>
    public static readonly IReadOnlyDictionary<string, string> SortColumns = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        ["created_at"] = "e.created_at",
        ["name"] = "e.name",
        ["status"] = "e.status",
        ["objective"] = "e.objective",
        ["params"] = "e.params",
        ["train_flops"] = "e.train_flops",
        ["generator_size"] = "e.generator_size",
    };

    public static bool IsSortable(string sort) => SortColumns.ContainsKey(SortKey(sort));

    private static string SortKey(string sort) => sort.StartsWith('-') ? sort[1..] : sort;

    public Task<Page<ExperimentSummary>> GetAsync(ExperimentHistoryQuery query, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => GetOnceAsync(query, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<Page<ExperimentSummary>> GetOnceAsync(ExperimentHistoryQuery query, CancellationToken cancellationToken = default)
    {
        if (!IsSortable(query.Sort)) throw new ArgumentException($"Cannot sort experiments by '{query.Sort}'.", nameof(query));
        var order = $"{SortColumns[SortKey(query.Sort)]} {(query.Sort.StartsWith('-') ? "DESC" : "ASC")}, e.id";
        var limit = Math.Clamp(query.Limit, 1, 500);
        var offset = Math.Max(query.Offset, 0);
        var values = new List<object> { query.TeamId };
        var where = "e.team_id = $1";
        string Add(object value)
        {
            values.Add(value);
            return $"${values.Count}";
        }
        if (!string.IsNullOrWhiteSpace(query.Search))
        {
            var text = query.Search.Trim();
            var pattern = Add($"%{JsonColumns.EscapeLike(text.ToLowerInvariant())}%");
            var tag = Add(new[] { text });
            where += $" AND (lower(e.name || ' ' || coalesce(e.notes, '')) LIKE {pattern} OR e.tags @> {tag}::text[])";
        }
        if (query.Objective is not null)
        {
            where += $" AND e.objective = {Add(query.Objective)}";
        }
        if (query.Status is not null)
        {
            where += $" AND e.status = {Add(query.Status)}";
        }
        if (query.Tag is not null)
        {
            where += $" AND e.tags @> {Add(new[] { query.Tag })}::text[]";
        }
        if (query.SweepId is { } sweep)
        {
            where += $" AND e.sweep_id = {Add(sweep)}";
        }
        if (query.CreatedAfter is { } after)
        {
            where += $" AND e.created_at >= {Add(after.ToUniversalTime())}";
        }
        if (query.CreatedBefore is { } before)
        {
            where += $" AND e.created_at < {Add(before.ToUniversalTime())}";
        }

        // The count and the page go in one round trip as two statements; newest first, the page walks the
        // (team_id, created_at) index and stops at its LIMIT instead of numbering every row of the team.
        await using var batch = dataSource.CreateBatch();
        var count = new NpgsqlBatchCommand($"SELECT count(*) FROM experiments e WHERE {where}");
        var page = new NpgsqlBatchCommand($"""
            SELECT {SummaryColumns}
            FROM experiments e
            WHERE {where}
            ORDER BY {order}
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
        var items = new List<ExperimentSummary>();
        while (await reader.ReadAsync(cancellationToken))
        {
            items.Add(ReadSummary(reader));
        }
        return new Page<ExperimentSummary>(items, total, offset, limit);
    }

    internal static ExperimentSummary ReadSummary(NpgsqlDataReader reader) => new(
        reader.GetGuid(0), reader.GetString(1), reader.GetString(2), reader.GetString(3),
        reader.GetFieldValue<string[]>(4), reader.IsDBNull(5) ? null : reader.GetString(5), reader.GetString(6),
        reader.GetInt64(7), reader.GetDouble(8), reader.GetDouble(9), reader.IsDBNull(10) ? null : reader.GetGuid(10),
        reader.IsDBNull(11) ? null : reader.GetGuid(11), reader.GetFieldValue<DateTimeOffset>(12),
        reader.IsDBNull(13) ? null : reader.GetString(13), reader.GetInt64(14));
}
