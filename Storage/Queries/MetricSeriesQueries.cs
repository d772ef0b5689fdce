using Npgsql;

namespace ElectraLab.Storage.Queries;

public sealed record MetricBucket(long FirstStep, long LastStep, double Min, double Max, double Last, long Count);

/// <summary>
/// One metric curve of one experiment, downsampled on the server into at most N equal-width step buckets with
/// min/max/last per bucket, so a plot of a million-step run moves a few hundred rows, not a million.
/// </summary>
public sealed class MetricSeriesQueries(NpgsqlDataSource dataSource)
{
    public async Task<IReadOnlyList<MetricBucket>> GetAsync(Guid teamId, Guid experimentId, string name, int buckets,
        long? fromStep = null, long? toStep = null, CancellationToken cancellationToken = default)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(buckets, 1);
        await using var command = dataSource.CreateCommand("""
            WITH bounds AS (
                SELECT coalesce($4, (SELECT min(step) FROM metrics WHERE experiment_id = e.id AND name = $3)) AS lo,
                       coalesce($5, (SELECT max(step) FROM metrics WHERE experiment_id = e.id AND name = $3)) AS hi
                FROM experiments e WHERE e.id = $2 AND e.team_id = $1),
            points AS (
                SELECT m.step, m.value,
                       width_bucket(m.step::double precision, b.lo::double precision, b.hi::double precision + 1, $6) AS bucket
                FROM bounds b
                JOIN metrics m ON m.experiment_id = $2 AND m.name = $3 AND m.step BETWEEN b.lo AND b.hi)
            SELECT min(step), max(step), min(value), max(value),
                   (array_agg(value ORDER BY step DESC))[1], count(*)
            FROM points GROUP BY bucket ORDER BY bucket
            """);
        command.Parameters.Add(new() { Value = teamId });
        command.Parameters.Add(new() { Value = experimentId });
        command.Parameters.Add(new() { Value = name });
        command.Parameters.Add(new() { Value = (object?)fromStep ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = (object?)toStep ?? DBNull.Value, NpgsqlDbType = NpgsqlTypes.NpgsqlDbType.Bigint });
        command.Parameters.Add(new() { Value = buckets });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var result = new List<MetricBucket>();
        while (await reader.ReadAsync(cancellationToken))
        {
            result.Add(new MetricBucket(reader.GetInt64(0), reader.GetInt64(1), reader.GetDouble(2), reader.GetDouble(3),
                reader.GetDouble(4), reader.GetInt64(5)));
        }
        return result;
    }
}
