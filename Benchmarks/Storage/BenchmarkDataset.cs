using ElectraLab.Storage.Results;
using Npgsql;
using ElectraLab.Storage.Entities;
using LeaderboardBenchmarks = ElectraLab.Storage.Results.Benchmarks;

namespace ElectraLab.Benchmarks.Storage;

/// <summary>
/// Generates the query benchmark's dataset inside the server (INSERT ... SELECT over generate_series), which is far
/// faster than shipping rows from the client: teams, experiments with tags and notes, GLUE and SQuAD results over three
/// seeds, and metric curves, one of them a million steps long.
/// </summary>
internal static class BenchmarkDataset
{
    public const int LongCurveSteps = 1_000_000;

    public static async Task<Guid[]> GenerateAsync(NpgsqlDataSource dataSource, BenchmarkOptions options,
        Action<string> progress, CancellationToken cancellationToken)
    {
        var teams = Enumerable.Range(0, options.Teams).Select(_ => Guid.NewGuid()).ToArray();
        await ExecuteAsync(dataSource, """
            INSERT INTO teams (id, name, created_at) SELECT t, 'bench-team-' || i, now()
            FROM unnest($1::uuid[]) WITH ORDINALITY AS u(t, i)
            """, cancellationToken, teams);

        progress($"experiments: {options.Experiments:N0}");
        await ExecuteAsync(dataSource, """
            INSERT INTO experiments (id, team_id, name, config, objective, generator_size, model_size, params, seed,
                                     status, tags, notes, train_flops, created_at, updated_at)
            SELECT gen_random_uuid(), ($1::uuid[])[1 + i % array_length($1::uuid[], 1)],
                   'exp-' || i || '-' || (ARRAY['electra','mlm','replace','all-tokens'])[1 + i % 4] || '-lr' || (i % 7),
                   jsonb_build_object('lr', 0.0001 * (1 + i % 7), 'mask_prob', 0.15 + 0.05 * (i % 3),
                                      'model', jsonb_build_object('hidden', 256, 'layers', 12)),
                   (ARRAY['electra','mlm','replace','all-tokens'])[1 + i % 4], 0.25 * (1 + i % 4),
                   (ARRAY['small','base','large'])[1 + i % 3], 14000000 + (i % 3) * 96000000, i,
                   (ARRAY['completed','running','failed','queued'])[1 + (i / 7) % 4],
                   ARRAY['sweep-' || (i % 50), (ARRAY['baseline','ablation','long'])[1 + i % 3]],
                   CASE WHEN i % 10 = 0 THEN 'notes on run ' || i || ' about warmup' END,
                   1e18 * (1 + i % 10), now() - make_interval(secs => i), now()
            FROM generate_series(1, $2) AS i
            """, cancellationToken, teams, options.Experiments);

        progress("evaluation results (GLUE 8 tasks + SQuAD 1.1/2.0 EM/F1, 3 seeds each)");
        var columns = LeaderboardBenchmarks.Columns;
        await ExecuteAsync(dataSource, """
            INSERT INTO evaluation_results (experiment_id, checkpoint_step, task, metric, seed, value, created_at)
            SELECT e.id, 1000000, c.task, c.metric, s, 0.5 + 0.4 * random(), now()
            FROM experiments e
            CROSS JOIN unnest($1::text[], $2::text[]) AS c(task, metric)
            CROSS JOIN generate_series(1, 3) AS s
            WHERE e.status = 'completed' AND e.team_id = ANY($3)
            """, cancellationToken, columns.Select(c => c.Task).ToArray(), columns.Select(c => c.Metric).ToArray(), teams);

        progress("leaderboard entries");
        var experimentIds = await ReadIdsAsync(dataSource, teams, cancellationToken);
        await using (var connection = await dataSource.OpenConnectionAsync(cancellationToken))
        {
            foreach (var batch in experimentIds.Chunk(5_000))
            {
                await EvaluationResultStore.RefreshAsync(connection, null, batch, cancellationToken);
            }
        }

        // One long curve, the rest spread evenly over the experiments in two metrics.
        var longCurve = experimentIds[0];
        progress($"metric points: {options.MetricPoints:N0} (one curve of {LongCurveSteps:N0} steps)");
        await ExecuteAsync(dataSource, """
            INSERT INTO metrics (experiment_id, name, step, value, time)
            SELECT $1, 'loss', s, 10.0 / (1 + s / 1000.0) + 0.1 * random(), now() FROM generate_series(0, $2 - 1) AS s
            """, cancellationToken, longCurve, LongCurveSteps);
        var remaining = options.MetricPoints - LongCurveSteps;
        var perExperiment = Math.Max(2, remaining / experimentIds.Length / 2 * 2);
        var done = 0;
        foreach (var batch in experimentIds.Skip(1).Chunk(2_000))
        {
            await ExecuteAsync(dataSource, """
                INSERT INTO metrics (experiment_id, name, step, value, time)
                SELECT e, n, s, random(), now()
                FROM unnest($1::uuid[]) AS e
                CROSS JOIN unnest(ARRAY['loss', 'disc_loss']) AS n
                CROSS JOIN generate_series(0, $2 - 1) AS s
                """, cancellationToken, batch, perExperiment / 2);
            done += batch.Length;
            progress($"  metrics for {done:N0}/{experimentIds.Length - 1:N0} experiments");
        }
        progress("metric rollups");
        await ExecuteAsync(dataSource, $"""
            INSERT INTO metric_rollups (experiment_id, name, block, first_step, last_step, min_value, max_value,
                                        last_value, points)
            SELECT experiment_id, name, step / {MetricRollup.BlockSteps}, min(step), max(step), min(value),
                   max(value), (array_agg(value ORDER BY step DESC))[1], count(*)
            FROM metrics WHERE experiment_id IN (SELECT id FROM experiments WHERE team_id = ANY($1))
            GROUP BY 1, 2, 3
            """, cancellationToken, teams);
        await ExecuteAsync(dataSource, "VACUUM ANALYZE", cancellationToken);
        return teams;
    }

    private static async Task ExecuteAsync(NpgsqlDataSource dataSource, string sql, CancellationToken cancellationToken,
        params object[] parameters)
    {
        await using var command = dataSource.CreateCommand(sql);
        command.CommandTimeout = 0;
        foreach (var parameter in parameters)
        {
            command.Parameters.Add(new() { Value = parameter });
        }
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<Guid[]> ReadIdsAsync(NpgsqlDataSource dataSource, Guid[] teams, CancellationToken cancellationToken)
    {
        await using var command = dataSource.CreateCommand("SELECT id FROM experiments WHERE team_id = ANY($1) ORDER BY id");
        command.Parameters.Add(new() { Value = teams });
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        var ids = new List<Guid>();
        while (await reader.ReadAsync(cancellationToken))
        {
            ids.Add(reader.GetGuid(0));
        }
        return ids.ToArray();
    }
}
