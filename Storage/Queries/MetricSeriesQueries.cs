using ElectraLab.Storage.Entities;
using ElectraLab.Storage.Resilience;
using Npgsql;
using NpgsqlTypes;

namespace ElectraLab.Storage.Queries;

public sealed record MetricBucket(long FirstStep, long LastStep, double Min, double Max, double Last, long Count);

/// <summary>
/// One metric curve of one experiment, downsampled on the server into at most N step buckets with min/max/last per
/// bucket. When the range spans at least one rollup block per bucket, whole blocks come from <c>metric_rollups</c>
/// (bucket edges then fall on block edges) and only the two partial edge blocks are read point by point, so a
/// million-step curve costs about a thousand rows; shorter ranges aggregate the points directly.
/// </summary>
public sealed class MetricSeriesQueries(NpgsqlDataSource dataSource)
{
    private const long Block = MetricRollup.BlockSteps;

    private const string FromPoints = """
        SELECT min(step), max(step), min(value), max(value), (array_agg(value ORDER BY step DESC))[1], count(*)
        FROM (SELECT step, value, (step - $3) * $5 / ($4 - $3 + 1) AS bucket
              FROM metrics WHERE experiment_id = $1 AND name = $2 AND step BETWEEN $3 AND $4) p
        GROUP BY bucket ORDER BY bucket
        """;

    // $3/$4: the whole blocks strictly inside the range; $5..$8: the partial edge ranges; $9/$10: first and last
    // block of the range; $11: buckets.
    private static readonly string FromRollups = $"""
        WITH pieces AS (
            SELECT block, first_step, last_step, min_value, max_value, last_value, points
            FROM metric_rollups
            WHERE experiment_id = $1 AND name = $2 AND block BETWEEN $3 AND $4
            UNION ALL
            SELECT step / {Block}, min(step), max(step), min(value), max(value),
                   (array_agg(value ORDER BY step DESC))[1], count(*)
            FROM metrics
            WHERE experiment_id = $1 AND name = $2 AND (step BETWEEN $5 AND $6 OR step BETWEEN $7 AND $8)
            GROUP BY 1)
        SELECT min(first_step), max(last_step), min(min_value), max(max_value),
               (array_agg(last_value ORDER BY last_step DESC))[1], sum(points)::bigint
        FROM pieces
        GROUP BY (block - $9) * $11 / ($10 - $9 + 1)
        ORDER BY 1
        """;

    /// <summary>
    /// The names of an experiment's metric series, in order. A loose index scan (one index probe per name) instead of
    /// DISTINCT over every point: a million-step run has a few dozen names and millions of points.
    /// </summary>
    public Task<IReadOnlyList<string>> NamesAsync(Guid experimentId, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => NamesOnceAsync(experimentId, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<IReadOnlyList<string>> NamesOnceAsync(Guid experimentId, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            WITH RECURSIVE n(name) AS (
                SELECT min(name) FROM metrics WHERE experiment_id = $1
                UNION ALL
                SELECT (SELECT min(m.name) FROM metrics m WHERE m.experiment_id = $1 AND m.name > n.name)
                FROM n WHERE n.name IS NOT NULL)
            SELECT name FROM n WHERE name IS NOT NULL
            """);
        command.Parameters.Add(new() { Value = experimentId });
        var names = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken)) names.Add(reader.GetString(0));
        return names;
    }

    /// <summary>
    /// The newest value of each named series for each experiment (the runs table's metric columns), read from the newest
    /// rollup block of each series: one row per (experiment, name), however long the runs.
    /// </summary>
    public Task<IReadOnlyDictionary<Guid, Dictionary<string, double>>> LatestAsync(Guid teamId, Guid[] experimentIds, string[] names,
        CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => LatestOnceAsync(teamId, experimentIds, names, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<IReadOnlyDictionary<Guid, Dictionary<string, double>>> LatestOnceAsync(Guid teamId, Guid[] experimentIds, string[] names,
        CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("""
            SELECT DISTINCT ON (r.experiment_id, r.name) r.experiment_id, r.name, r.last_value
            FROM metric_rollups r JOIN experiments e ON e.id = r.experiment_id AND e.team_id = $1
            WHERE r.experiment_id = ANY($2) AND r.name = ANY($3)
            ORDER BY r.experiment_id, r.name, r.block DESC
            """);
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = experimentIds });
        command.Parameters.Add(new() { Value = names });
        var latest = new Dictionary<Guid, Dictionary<string, double>>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            var id = reader.GetGuid(0);
            if (!latest.TryGetValue(id, out var values)) latest[id] = values = [];
            values[reader.GetString(1)] = reader.GetDouble(2);
        }
        return latest;
    }

    public Task<IReadOnlyList<MetricBucket>> GetAsync(Guid teamId, Guid experimentId, string name, int buckets,
        long? fromStep = null, long? toStep = null, CancellationToken cancellationToken = default) =>
        DatabaseRetry.RunAsync(ct => GetOnceAsync(teamId, experimentId, name, buckets, fromStep, toStep, ct), RetryPolicy.Request, dataSource, cancellationToken: cancellationToken);

    private async Task<IReadOnlyList<MetricBucket>> GetOnceAsync(Guid teamId, Guid experimentId, string name, int buckets,
        long? fromStep = null, long? toStep = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        var bounds = await BoundsAsync(connection, teamId, experimentId, name, fromStep, toStep, cancellationToken);
        if (bounds is not var (lo, hi) || lo > hi)
        {
            return [];
        }

        var firstBlock = lo / Block;
        var lastBlock = hi / Block;
        await using var command = connection.CreateCommand();
        command.Parameters.Add(new() { Value = experimentId });
        command.Parameters.Add(new() { Value = name });
        if (lastBlock - firstBlock + 1 < Math.Max(buckets, 3))
        {
            command.CommandText = FromPoints;
            command.Parameters.Add(new() { Value = lo });
            command.Parameters.Add(new() { Value = hi });
            command.Parameters.Add(new() { Value = (long)buckets });
        }
        else
        {
            // A block the range only partly covers is read point by point; the rest come from the rollups.
            var firstWhole = lo % Block == 0 ? firstBlock : firstBlock + 1;
            var lastWhole = (hi + 1) % Block == 0 ? lastBlock : lastBlock - 1;
            command.CommandText = FromRollups;
            command.Parameters.Add(new() { Value = firstWhole });
            command.Parameters.Add(new() { Value = lastWhole });
            command.Parameters.Add(new() { Value = lo });
            command.Parameters.Add(new() { Value = firstWhole * Block - 1 });
            command.Parameters.Add(new() { Value = (lastWhole + 1) * Block });
            command.Parameters.Add(new() { Value = hi });
            command.Parameters.Add(new() { Value = firstBlock });
            command.Parameters.Add(new() { Value = lastBlock });
            command.Parameters.Add(new() { Value = (long)buckets });
        }

        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<MetricBucket>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new MetricBucket(reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3),
                reader.GetDouble(4), reader.GetInt64(5)));
        }
        return result;
    }

    /// <summary>The step range to plot, or null when the experiment is not the team's.</summary>
    private static async Task<(long Lo, long Hi)?> BoundsAsync(NpgsqlConnection connection, Guid teamId, Guid experimentId,
        string name, long? fromStep, long? toStep, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand("""
            SELECT coalesce($4, (SELECT min(step) FROM metrics WHERE experiment_id = e.id AND name = $3)),
                   coalesce($5, (SELECT max(step) FROM metrics WHERE experiment_id = e.id AND name = $3))
            FROM experiments e WHERE e.id = $2 AND e.team_id = $1
            """, connection);
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = experimentId });
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = (object?)fromStep ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = (object?)toStep ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Bigint });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        if (!await reader.ReadAsync(cancellationToken) || reader.IsDBNull(0) || reader.IsDBNull(1))
        {
            return null;
        }
        return (reader.GetInt64(0), reader.GetInt64(1));
    }
}
