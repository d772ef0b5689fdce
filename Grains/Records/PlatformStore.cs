using System.Text.Json;
using System.Text.Json.Nodes;
using ElectraLab.Config.Modeling;
using ElectraLab.Config.Pretraining;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Storage.Platform;

namespace ElectraLab.Grains.Records;

/// <summary>
/// The grains' side of the platform rows: turns wire records (specs, job statuses, states) into the rows Storage's
/// <see cref="PlatformRows"/> writes, with the one spelling of each state and the model size counted from the config.
/// </summary>
public sealed class PlatformStore(PlatformRows rows)
{
    public Task<Guid> EnsureTeamAsync(string team) => rows.EnsureTeamAsync(team);

    /// <summary>The sweep and all its experiments in one transaction.</summary>
    public Task SaveSweepAsync(Guid sweepId, SweepSpec spec, string specJson, IReadOnlyList<ExperimentSpec> experiments) =>
        rows.SaveSweepAsync(sweepId, spec.Team, spec.Name, specJson, experiments.Select(e =>
        {
            var config = (JsonObject)JsonNode.Parse(e.ConfigJson)!;
            return new NewExperimentRow(e.ExperimentId, e.Name, e.ConfigJson, (string?)config["objective"] ?? "electra",
                (double?)config["generator_hidden_size"] ?? 0.25, (string?)config["model_size"] ?? "small",
                DiscriminatorParameters(e.ConfigJson), e.Seed, ExperimentState.Queued.ToStorageName());
        }).ToList());

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

    public Task SetSweepStatusAsync(Guid sweepId, string status) => rows.SetSweepStatusAsync(sweepId, status);

    public Task SetExperimentStatusAsync(Guid experimentId, ExperimentState state, double trainFlops, string? reason) =>
        rows.SetExperimentStatusAsync(experimentId, state.ToStorageName(), trainFlops, reason);

    /// <summary>Upserts a job row. Noop jobs (platform measurements) have no row: the jobs table knows only real kinds.</summary>
    public Task SaveJobAsync(Guid experimentId, JobStatus job) => job.Kind == JobKind.Noop
        ? Task.CompletedTask
        : rows.SaveJobAsync(experimentId, new JobRow(job.JobId, job.Kind == JobKind.Pretrain ? "pretrain" : "finetune-eval", job.Task,
            job.CheckpointStep, job.State.ToStorageName(), job.Attempts, job.Silo, job.Device, job.EnqueuedAt, job.StartedAt,
            job.FinishedAt, job.Error));
}
