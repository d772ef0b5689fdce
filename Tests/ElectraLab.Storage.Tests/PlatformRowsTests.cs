using ElectraLab.Storage.Platform;
using Microsoft.EntityFrameworkCore;

namespace ElectraLab.Storage.Tests;

/// <summary>Storage owns the platform rows: every write is an idempotent upsert that a replaying grain can repeat.</summary>
[Trait("Category", "Storage")]
public sealed class PlatformRowsTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 12, 0, 0, TimeSpan.Zero);

    [SkippableFact]
    public async Task ASweepSavedTwice_IsOneSweep_AndItsExperimentsKeepTheirFirstRows()
    {
        database.SkipIfUnavailable();
        var rows = new PlatformRows(database.DataSource);
        var team = $"team-{Guid.NewGuid():N}";
        var sweepId = Guid.NewGuid();
        var experiments = new[]
        {
            new NewExperimentRow(Guid.NewGuid(), "s/a", """{"objective":"mlm"}""", "mlm", 0.25, "small", 13_000_000, 1, "queued"),
            new NewExperimentRow(Guid.NewGuid(), "s/b", """{"objective":"electra"}""", "electra", 0.5, "small", 14_000_000, 2, "queued"),
        };
        await rows.SaveSweepAsync(sweepId, team, "s", """{"name":"s"}""", experiments);
        await rows.SetExperimentStatusAsync(experiments[0].Id, "pretraining", 5e12, null);
        await rows.SaveSweepAsync(sweepId, team, "s", """{"name":"s"}""", experiments);

        await using var db = database.CreateContext();
        var teamId = await rows.EnsureTeamAsync(team);
        Assert.Equal(1, await db.Sweeps.CountAsync(s => s.TeamId == teamId));
        var saved = await db.Experiments.Where(e => e.SweepId == sweepId).OrderBy(e => e.Name).ToListAsync();
        Assert.Equal(["s/a", "s/b"], saved.Select(e => e.Name));
        Assert.Equal("pretraining", saved[0].Status); // the replay did not reset it
        Assert.Equal((2L, 0.5, 14_000_000L), (saved[1].Seed, saved[1].GeneratorSize, saved[1].Params));
    }

    [SkippableFact]
    public async Task ExperimentStatus_NeverLowersTrainFlops_AndANullReasonClearsTheOldOne()
    {
        database.SkipIfUnavailable();
        var rows = new PlatformRows(database.DataSource);
        var id = Guid.NewGuid();
        await rows.SaveSweepAsync(Guid.NewGuid(), $"team-{Guid.NewGuid():N}", "s", "{}",
            [new NewExperimentRow(id, "x", "{}", "electra", 0.25, "small", 1, 1, "queued")]);
        await rows.SetExperimentStatusAsync(id, "failed", 9e12, "pretrain cannot run: no dataset.json");
        await rows.SetExperimentStatusAsync(id, "queued", 1e12, null);

        await using var db = database.CreateContext();
        var row = await db.Experiments.SingleAsync(e => e.Id == id);
        Assert.Equal(("queued", 9e12, (string?)null), (row.Status, row.TrainFlops, row.FailureReason));
    }

    [SkippableFact]
    public async Task AJobRow_IsUpsertedByItsId()
    {
        database.SkipIfUnavailable();
        var rows = new PlatformRows(database.DataSource);
        var experiment = Guid.NewGuid();
        await rows.SaveSweepAsync(Guid.NewGuid(), $"team-{Guid.NewGuid():N}", "s", "{}",
            [new NewExperimentRow(experiment, "x", "{}", "electra", 0.25, "small", 1, 1, "queued")]);
        var job = new JobRow(Guid.NewGuid(), "pretrain", null, null, "queued", 0, null, null, T0, null, null, null);
        await rows.SaveJobAsync(experiment, job);
        await rows.SaveJobAsync(experiment, job with { Status = "stopped-early", Attempt = 2, Silo = "silo-b", StartedAt = T0, FinishedAt = T0.AddMinutes(5), Error = "rung 1" });

        await using var db = database.CreateContext();
        var saved = await db.Jobs.SingleAsync(j => j.ExperimentId == experiment);
        Assert.Equal(("stopped-early", 2, "silo-b", "rung 1"), (saved.Status, saved.Attempt, saved.Silo, saved.Error));
        Assert.Equal(T0.AddMinutes(5), saved.FinishedAt);
    }
}
