using ElectraLab.Storage.Entities;
using ElectraLab.Tests.Shared;

namespace ElectraLab.Storage.Tests;

/// <summary>The Storage tests' database (<see cref="PostgresTestDatabase"/>) with helpers that add rows through EF.</summary>
public sealed class PostgresDatabase() : PostgresTestDatabase("electralab_test")
{
    public async Task<Team> AddTeamAsync(string? name = null)
    {
        var team = new Team { Id = Guid.NewGuid(), Name = name ?? $"team-{Guid.NewGuid():N}", CreatedAt = DateTimeOffset.UtcNow };
        await using var db = CreateContext();
        db.Teams.Add(team);
        await db.SaveChangesAsync();
        return team;
    }

    public async Task<Experiment> AddExperimentAsync(Guid teamId, string name = "exp", string objective = "electra",
        string[]? tags = null, string? notes = null, string config = """{"model":{"hidden":256},"lr":0.0005}""",
        string status = "completed", long parameters = 14_000_000, double generatorSize = 0.25)
    {
        var now = DateTimeOffset.UtcNow;
        var experiment = new Experiment
        {
            Id = Guid.NewGuid(), TeamId = teamId, Name = name, Config = config, Objective = objective,
            GeneratorSize = generatorSize, ModelSize = "small", Params = parameters, Seed = 1, Status = status,
            Tags = tags ?? [], Notes = notes, TrainFlops = 1.4e18, CreatedAt = now, UpdatedAt = now,
        };
        await using var db = CreateContext();
        db.Experiments.Add(experiment);
        await db.SaveChangesAsync();
        return experiment;
    }
}
