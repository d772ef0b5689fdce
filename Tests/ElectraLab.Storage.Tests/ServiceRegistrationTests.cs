using ElectraLab.Storage.Auth;
using ElectraLab.Storage.Entities;
using ElectraLab.Storage.Metrics;
using ElectraLab.Storage.Queries;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace ElectraLab.Storage.Tests;

[Trait("Category", "Storage")]
public sealed class ServiceRegistrationTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [SkippableFact]
    public async Task AddElectraLabStorage_UsesConnectionStringsElectraLab_AndMigratesAtStart()
    {
        database.SkipIfUnavailable();
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["ConnectionStrings:ElectraLab"] = database.ConnectionString })
            .Build();
        await using var services = new ServiceCollection().AddElectraLabStorage(configuration).BuildServiceProvider();

        foreach (var hosted in services.GetServices<IHostedService>())
        {
            await hosted.StartAsync(CancellationToken.None);
        }
        await using var db = await services.GetRequiredService<IDbContextFactory<ElectraLabDbContext>>().CreateDbContextAsync();

        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
        Assert.NotNull(services.GetRequiredService<MetricWriter>());
        Assert.NotNull(services.GetRequiredService<LeaderboardQueries>());
    }

    [Fact]
    public void AddElectraLabStorage_WithoutAConnectionString_SaysWhichKeyToSet()
    {
        var configuration = new ConfigurationBuilder().Build();

        var error = Assert.Throws<InvalidOperationException>(() => new ServiceCollection().AddElectraLabStorage(configuration));

        Assert.Contains("ConnectionStrings:ElectraLab", error.Message);
    }

    [SkippableFact]
    public async Task ApiKeys_StoreOnlyAHash_AndAuthenticateUntilRevoked()
    {
        database.SkipIfUnavailable();
        var team = await database.AddTeamAsync();
        var user = new User { Id = Guid.NewGuid(), TeamId = team.Id, Name = "ada", Email = $"{Guid.NewGuid():N}@lab", CreatedAt = DateTimeOffset.UtcNow };
        await using (var db = database.CreateContext())
        {
            db.Users.Add(user);
            await db.SaveChangesAsync();
        }
        var keys = new ApiKeyStore(database.DataSource);

        var issued = await keys.IssueAsync(user.Id);
        var identity = await keys.AuthenticateAsync(issued.Key);
        await using (var db = database.CreateContext())
        {
            var stored = await db.ApiKeys.SingleAsync(k => k.Id == issued.Id);
            Assert.Equal(ApiKeyStore.Hash(issued.Key), stored.KeyHash);
            Assert.DoesNotContain(issued.Key[5..], stored.Prefix);
        }
        Assert.Equal(new ApiKeyIdentity(issued.Id, user.Id, team.Id), identity);
        Assert.Null(await keys.AuthenticateAsync(issued.Key + "x"));
        Assert.True(await keys.RevokeAsync(issued.Id));
        Assert.Null(await keys.AuthenticateAsync(issued.Key));
    }
}
