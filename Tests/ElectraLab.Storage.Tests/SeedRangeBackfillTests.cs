using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace ElectraLab.Storage.Tests;

/// <summary>A database from before seed ranges gets them for its existing leaderboard entries when it migrates.</summary>
[Trait("Category", "Storage")]
public sealed class SeedRangeBackfillTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [SkippableFact]
    public async Task Migration_FillsSeedRangesFromTheLatestCheckpointsResults()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var experiment = await database.AddExperimentAsync(team.Id, "old");
        await using (var db = database.CreateContext())
        {
            await db.GetService<IMigrator>().MigrateAsync("20261123092828_LeaderboardByTeam");
        }
        // As the previous schema's writer left them: results for two checkpoints, an entry without ranges.
        foreach (var sql in new[]
        {
            """
            INSERT INTO evaluation_results (experiment_id, checkpoint_step, task, metric, seed, value, created_at)
            VALUES ($1, 500, 'sst2', 'accuracy', 1, 0.10, now()),
                   ($1, 1000, 'sst2', 'accuracy', 1, 0.80, now()), ($1, 1000, 'sst2', 'accuracy', 2, 0.84, now()),
                   ($1, 1000, 'sst2', 'accuracy', 3, 0.82, now()), ($1, 1000, 'cola', 'mcc', 1, 0.30, now())
            """,
            """
            INSERT INTO leaderboard_entries (experiment_id, team_id, benchmark, score, columns, columns_reported, updated_at)
            VALUES ($1, $2, 'glue', NULL, '{"sst2": 0.82, "cola": 0.30}', 2, now())
            """,
        })
        {
            await using var insert = database.DataSource.CreateCommand(sql);
            insert.Parameters.Add(new() { Value = experiment.Id });
            if (sql.Contains("$2")) insert.Parameters.Add(new() { Value = team.Id });
            await insert.ExecuteNonQueryAsync();
        }

        await new StorageMigrator(database.DataSource).MigrateAsync();

        var ranges = await database.ScalarAsync<string>(
            "SELECT seed_ranges::text FROM leaderboard_entries WHERE experiment_id = $1", experiment.Id);
        Assert.Equal("""{"cola": [0.3, 0.3, 1], "sst2": [0.8, 0.84, 3]}""", ranges);
    }
}
