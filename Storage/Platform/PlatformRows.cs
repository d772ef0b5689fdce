// The platform's rows in PostgreSQL (teams, sweeps, experiments, jobs): what users and the API read, and what a
// restarted cluster reconciles from. The grains decide; this store writes. Every write is an idempotent upsert, so a
// grain that replays a transition after a crash writes the same row again, and every one retries transient errors.
using ElectraLab.Storage.Resilience;
using Npgsql;
using NpgsqlTypes;

namespace ElectraLab.Storage.Platform;

/// <summary>One experiment of a new sweep, as its row starts out.</summary>
public sealed record NewExperimentRow(Guid Id, string Name, string ConfigJson, string Objective, double GeneratorSize,
    string ModelSize, long Parameters, long Seed, string Status);

/// <summary>A job's row; <see cref="Kind"/> is "pretrain" or "finetune-eval", <see cref="Status"/> the job state's one spelling.</summary>
public sealed record JobRow(Guid Id, string Kind, string? Task, long? CheckpointStep, string Status, int Attempt, string? Silo,
    string? Device, DateTimeOffset QueuedAt, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt, string? Error);

public sealed class PlatformRows(NpgsqlDataSource dataSource)
{
    /// <summary>The team's id, creating the team on first use.</summary>
    public Task<Guid> EnsureTeamAsync(string team) =>
        DatabaseRetry.RunAsync(_ => EnsureTeamOnceAsync(team), RetryPolicy.Request, dataSource);

    private async Task<Guid> EnsureTeamOnceAsync(string team)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO teams (id, name, created_at) VALUES ($1, $2, now())
            ON CONFLICT (name) DO UPDATE SET name = excluded.name
            RETURNING id
            """);
        command.Parameters.Add(new() { Value = Guid.CreateVersion7() });
        command.Parameters.Add(new() { Value = team });
        return (Guid)(await command.ExecuteScalarAsync())!;
    }

    /// <summary>The sweep and all its experiments in one transaction; a replay changes nothing.</summary>
    public Task SaveSweepAsync(Guid sweepId, string team, string name, string specJson, IReadOnlyList<NewExperimentRow> experiments) =>
        DatabaseRetry.RunAsync(_ => SaveSweepOnceAsync(sweepId, team, name, specJson, experiments), RetryPolicy.Request, dataSource);

    private async Task SaveSweepOnceAsync(Guid sweepId, string team, string name, string specJson, IReadOnlyList<NewExperimentRow> experiments)
    {
        var teamId = await EnsureTeamOnceAsync(team);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var sweep = new NpgsqlCommand("""
            INSERT INTO sweeps (id, team_id, name, spec, created_at, status) VALUES ($1, $2, $3, $4::jsonb, now(), 'running')
            ON CONFLICT (id) DO NOTHING
            """, connection, transaction))
        {
            sweep.Parameters.Add(new() { Value = sweepId });
            sweep.Parameters.Add(new() { Value = teamId });
            sweep.Parameters.Add(new() { Value = name });
            sweep.Parameters.Add(new() { Value = specJson });
            await sweep.ExecuteNonQueryAsync();
        }
        await using (var insert = new NpgsqlCommand("""
            INSERT INTO experiments (id, team_id, sweep_id, name, config, objective, generator_size, model_size, params, seed,
                                     status, tags, train_flops, created_at, updated_at)
            SELECT * FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::text[], $5::jsonb[], $6::text[], $7::float8[],
                                 $8::text[], $9::bigint[], $10::bigint[], $11::text[]),
                   LATERAL (SELECT ARRAY[]::text[], 0.0::float8, now(), now()) extra
            ON CONFLICT (id) DO NOTHING
            """, connection, transaction))
        {
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.Id).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(_ => teamId).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(_ => sweepId).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.Name).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.ConfigJson).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.Objective).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.GeneratorSize).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.ModelSize).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.Parameters).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.Seed).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.Status).ToArray() });
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    public Task SetSweepStatusAsync(Guid sweepId, string status) =>
        DatabaseRetry.RunAsync(_ => SetSweepStatusOnceAsync(sweepId, status), RetryPolicy.Request, dataSource);

    private async Task SetSweepStatusOnceAsync(Guid sweepId, string status)
    {
        await using var command = dataSource.CreateCommand("UPDATE sweeps SET status = $2 WHERE id = $1");
        command.Parameters.Add(new() { Value = sweepId });
        command.Parameters.Add(new() { Value = status });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The experiment's state, its train FLOPs (never lowered) and its failure reason (null clears it).</summary>
    public Task SetExperimentStatusAsync(Guid experimentId, string status, double trainFlops, string? failureReason) =>
        DatabaseRetry.RunAsync(_ => SetExperimentStatusOnceAsync(experimentId, status, trainFlops, failureReason), RetryPolicy.Request, dataSource);

    private async Task SetExperimentStatusOnceAsync(Guid experimentId, string status, double trainFlops, string? failureReason)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE experiments SET status = $2, train_flops = greatest(train_flops, $3), failure_reason = $4, updated_at = now()
            WHERE id = $1
            """);
        command.Parameters.Add(new() { Value = experimentId });
        command.Parameters.Add(new() { Value = status });
        command.Parameters.Add(new() { Value = trainFlops });
        command.Parameters.Add(Nullable(failureReason, NpgsqlDbType.Text));
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Upserts a job row (its kind, queue time and experiment never change).</summary>
    public Task SaveJobAsync(Guid experimentId, JobRow job) =>
        DatabaseRetry.RunAsync(_ => SaveJobOnceAsync(experimentId, job), RetryPolicy.Request, dataSource);

    private async Task SaveJobOnceAsync(Guid experimentId, JobRow job)
    {
        await using var command = dataSource.CreateCommand("""
            INSERT INTO jobs (id, experiment_id, kind, task, checkpoint_step, status, attempt, silo, device, heartbeat_at,
                              queued_at, started_at, finished_at, error)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, silo = excluded.silo,
                device = excluded.device, heartbeat_at = excluded.heartbeat_at, started_at = excluded.started_at,
                finished_at = excluded.finished_at, error = excluded.error, checkpoint_step = excluded.checkpoint_step
            """);
        command.Parameters.Add(new() { Value = job.Id });
        command.Parameters.Add(new() { Value = experimentId });
        command.Parameters.Add(new() { Value = job.Kind });
        command.Parameters.Add(Nullable(job.Task, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(job.CheckpointStep, NpgsqlDbType.Bigint));
        command.Parameters.Add(new() { Value = job.Status });
        command.Parameters.Add(new() { Value = job.Attempt });
        command.Parameters.Add(Nullable(job.Silo, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(job.Device, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(job.StartedAt is null ? null : DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz));
        command.Parameters.Add(new() { Value = job.QueuedAt.ToUniversalTime() });
        command.Parameters.Add(Nullable(job.StartedAt?.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Nullable(job.FinishedAt?.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Nullable(job.Error, NpgsqlDbType.Text));
        await command.ExecuteNonQueryAsync();
    }

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
