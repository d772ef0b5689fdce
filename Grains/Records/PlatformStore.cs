using System.Text.Json.Nodes;
using System.Text.Json;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Electra.Modeling;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Storage.Resilience;
using Npgsql;
using NpgsqlTypes;
using ElectraLab.Config.Pretraining;
using ElectraLab.Config.Modeling;

namespace ElectraLab.Grains.Records;

/// <summary>
/// The platform's rows in PostgreSQL (teams, sweeps, experiments, jobs): what users and the API read, and what a
/// restarted cluster reconciles from. Every write is an idempotent upsert, so a grain that replays a transition after a
/// crash writes the same row again. Storage has no write API for these rows yet, so they are written here in SQL.
/// </summary>
public sealed class PlatformStore(NpgsqlDataSource dataSource)
{
    public Task<Guid> EnsureTeamAsync(string team) =>
        DatabaseRetry.RunAsync(ct => EnsureTeamOnceAsync(team), RetryPolicy.Request, dataSource);

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

    /// <summary>The sweep and all its experiments in one transaction.</summary>
    public Task SaveSweepAsync(Guid sweepId, SweepSpec spec, string specJson, IReadOnlyList<ExperimentSpec> experiments) =>
        DatabaseRetry.RunAsync(ct => SaveSweepOnceAsync(sweepId, spec, specJson, experiments), RetryPolicy.Request, dataSource);

    private async Task SaveSweepOnceAsync(Guid sweepId, SweepSpec spec, string specJson, IReadOnlyList<ExperimentSpec> experiments)
    {
        var teamId = await EnsureTeamAsync(spec.Team);
        await using var connection = await dataSource.OpenConnectionAsync();
        await using var transaction = await connection.BeginTransactionAsync();
        await using (var sweep = new NpgsqlCommand("""
            INSERT INTO sweeps (id, team_id, name, spec, created_at, status) VALUES ($1, $2, $3, $4::jsonb, now(), 'running')
            ON CONFLICT (id) DO NOTHING
            """, connection, transaction))
        {
            sweep.Parameters.Add(new() { Value = sweepId });
            sweep.Parameters.Add(new() { Value = teamId });
            sweep.Parameters.Add(new() { Value = spec.Name });
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
            var configs = experiments.Select(e => (JsonObject)JsonNode.Parse(e.ConfigJson)!).ToList();
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.ExperimentId).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(_ => teamId).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(_ => sweepId).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.Name).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.ConfigJson).ToArray(), NpgsqlDbType = NpgsqlDbType.Array | NpgsqlDbType.Text });
            insert.Parameters.Add(new() { Value = configs.Select(c => (string?)c["objective"] ?? "electra").ToArray() });
            insert.Parameters.Add(new() { Value = configs.Select(c => (double?)c["generator_hidden_size"] ?? 0.25).ToArray() });
            insert.Parameters.Add(new() { Value = configs.Select(c => (string?)c["model_size"] ?? "small").ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => DiscriminatorParameters(e.ConfigJson)).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(e => e.Seed).ToArray() });
            insert.Parameters.Add(new() { Value = experiments.Select(_ => ExperimentState.Queued.ToStorageName()).ToArray() });
            await insert.ExecuteNonQueryAsync();
        }
        await transaction.CommitAsync();
    }

    /// <summary>
    /// The kept model's size for the leaderboard, counted from the config (no libtorch here). A config the pre-training
    /// resolver refuses cannot train; only no-op test workloads carry one, and they have no model: 0.
    /// </summary>
    private static long DiscriminatorParameters(string configJson)
    {
        try
        {
            return ParameterCount.Discriminator(PretrainingConfigLoader.FromJson(configJson).DiscriminatorConfig());
        }
        catch (Exception e) when (e is InvalidDataException or ArgumentException or JsonException or InvalidOperationException)
        {
            return 0;
        }
    }

    public Task SetSweepStatusAsync(Guid sweepId, string status) =>
        DatabaseRetry.RunAsync(ct => SetSweepStatusOnceAsync(sweepId, status), RetryPolicy.Request, dataSource);

    private async Task SetSweepStatusOnceAsync(Guid sweepId, string status)
    {
        await using var command = dataSource.CreateCommand("UPDATE sweeps SET status = $2 WHERE id = $1");
        command.Parameters.Add(new() { Value = sweepId });
        command.Parameters.Add(new() { Value = status });
        await command.ExecuteNonQueryAsync();
    }

    public Task SetExperimentStatusAsync(Guid experimentId, ExperimentState state, double trainFlops, string? reason) =>
        DatabaseRetry.RunAsync(ct => SetExperimentStatusOnceAsync(experimentId, state, trainFlops, reason), RetryPolicy.Request, dataSource);

    private async Task SetExperimentStatusOnceAsync(Guid experimentId, ExperimentState state, double trainFlops, string? reason)
    {
        await using var command = dataSource.CreateCommand("""
            UPDATE experiments SET status = $2, train_flops = greatest(train_flops, $3), failure_reason = $4, updated_at = now()
            WHERE id = $1
            """);
        command.Parameters.Add(new() { Value = experimentId });
        command.Parameters.Add(new() { Value = state.ToStorageName() });
        command.Parameters.Add(new() { Value = trainFlops });
        command.Parameters.Add(new() { Value = (object?)reason ?? DBNull.Value, NpgsqlDbType = NpgsqlDbType.Text });
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>Upserts a job row. Noop jobs (platform measurements) have no row: the jobs table knows only real kinds.</summary>
    public Task SaveJobAsync(Guid experimentId, JobStatus job) =>
        DatabaseRetry.RunAsync(ct => SaveJobOnceAsync(experimentId, job), RetryPolicy.Request, dataSource);

    private async Task SaveJobOnceAsync(Guid experimentId, JobStatus job)
    {
        if (job.Kind == JobKind.Noop) return;
        await using var command = dataSource.CreateCommand("""
            INSERT INTO jobs (id, experiment_id, kind, task, checkpoint_step, status, attempt, silo, device, heartbeat_at,
                              queued_at, started_at, finished_at, error)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
            ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempt = excluded.attempt, silo = excluded.silo,
                device = excluded.device, heartbeat_at = excluded.heartbeat_at, started_at = excluded.started_at,
                finished_at = excluded.finished_at, error = excluded.error, checkpoint_step = excluded.checkpoint_step
            """);
        command.Parameters.Add(new() { Value = job.JobId });
        command.Parameters.Add(new() { Value = experimentId });
        command.Parameters.Add(new() { Value = job.Kind == JobKind.Pretrain ? "pretrain" : "finetune-eval" });
        command.Parameters.Add(Nullable(job.Task, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(job.CheckpointStep, NpgsqlDbType.Bigint));
        command.Parameters.Add(new() { Value = job.State.ToString().ToLowerInvariant() });
        command.Parameters.Add(new() { Value = job.Attempts });
        command.Parameters.Add(Nullable(job.Silo, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(job.Device, NpgsqlDbType.Text));
        command.Parameters.Add(Nullable(job.StartedAt is null ? null : DateTimeOffset.UtcNow, NpgsqlDbType.TimestampTz));
        command.Parameters.Add(new() { Value = job.EnqueuedAt.ToUniversalTime() });
        command.Parameters.Add(Nullable(job.StartedAt?.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Nullable(job.FinishedAt?.ToUniversalTime(), NpgsqlDbType.TimestampTz));
        command.Parameters.Add(Nullable(job.Error, NpgsqlDbType.Text));
        await command.ExecuteNonQueryAsync();
    }

    private static NpgsqlParameter Nullable(object? value, NpgsqlDbType type) => new() { Value = value ?? DBNull.Value, NpgsqlDbType = type };
}
