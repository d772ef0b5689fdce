using Microsoft.Extensions.DependencyInjection;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace ElectraLab.Storage.Tests;

public interface ICounterGrain : IGrainWithStringKey
{
    Task<int> IncrementAsync();
    Task<int> GetAsync();
    Task ClearAsync();
    Task<bool> RegisterReminderAsync();
    Task<bool> UnregisterReminderAsync();
}

[GenerateSerializer]
public sealed class CounterState
{
    [Id(0)] public int Count { get; set; }
}

public sealed class CounterGrain([PersistentState("counter")] IPersistentState<CounterState> state)
    : Grain, ICounterGrain, IRemindable
{
    public async Task<int> IncrementAsync()
    {
        state.State.Count++;
        await state.WriteStateAsync();
        return state.State.Count;
    }

    public Task<int> GetAsync() => Task.FromResult(state.State.Count);

    public Task ClearAsync() => state.ClearStateAsync();

    public async Task<bool> RegisterReminderAsync()
    {
        await this.RegisterOrUpdateReminder("tick", TimeSpan.FromHours(1), TimeSpan.FromHours(1));
        return await this.GetReminder("tick") is not null;
    }

    public async Task<bool> UnregisterReminderAsync()
    {
        var reminder = await this.GetReminder("tick");
        if (reminder is null)
        {
            return false;
        }
        await this.UnregisterReminder(reminder);
        return await this.GetReminder("tick") is null;
    }

    public Task ReceiveReminder(string reminderName, TickStatus status) => Task.CompletedTask;
}

/// <summary>A real silo and client on the migrated database: ADO.NET clustering, grain storage and reminders.</summary>
[Trait("Category", "Storage")]
public sealed class OrleansSchemaTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [SkippableFact]
    public async Task Silo_OnTheMigratedSchema_ClustersPersistsStateAndKeepsReminders()
    {
        database.SkipIfUnavailable();
        var builder = new TestClusterBuilder(1);
        builder.Options.UseTestClusterMembership = false;
        builder.Properties[ConnectionKey] = database.ConnectionString;
        builder.AddSiloBuilderConfigurator<SiloConfigurator>();
        builder.AddClientBuilderConfigurator<ClientConfigurator>();
        var cluster = builder.Build();
        await cluster.DeployAsync();
        try
        {
            var grain = cluster.Client.GetGrain<ICounterGrain>($"counter-{Guid.NewGuid():N}");

            Assert.Equal(1, await grain.IncrementAsync());
            Assert.Equal(2, await grain.IncrementAsync());
            await cluster.DeactivateAsync(grain);
            Assert.Equal(2, await grain.GetAsync());
            Assert.Equal(3, await grain.IncrementAsync());
            await grain.ClearAsync();
            await cluster.DeactivateAsync(grain);
            Assert.Equal(0, await grain.GetAsync());
            Assert.Equal(1, await grain.IncrementAsync());

            Assert.True(await grain.RegisterReminderAsync());
            Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM orleans_reminders WHERE reminder_name = 'tick'"));
            Assert.True(await grain.UnregisterReminderAsync());
            Assert.Equal(0L, await ScalarAsync("SELECT count(*) FROM orleans_reminders"));

            // Status 3 is SiloStatus.Active.
            Assert.Equal(1L, await ScalarAsync("SELECT count(*) FROM orleans_membership WHERE status = 3"));
        }
        finally
        {
            await cluster.DisposeAsync();
        }
    }

    private const string ConnectionKey = "ElectraLabTestDatabase";

    private sealed class SiloConfigurator : ISiloConfigurator
    {
        public void Configure(ISiloBuilder silo)
        {
            var connectionString = silo.Configuration[ConnectionKey];
            silo.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; })
                .AddAdoNetGrainStorageAsDefault(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; })
                .UseAdoNetReminderService(o => { o.Invariant = "Npgsql"; o.ConnectionString = connectionString; });
        }
    }

    private sealed class ClientConfigurator : IClientBuilderConfigurator
    {
        public void Configure(Microsoft.Extensions.Configuration.IConfiguration configuration, IClientBuilder client) =>
            client.UseAdoNetClustering(o => { o.Invariant = "Npgsql"; o.ConnectionString = configuration[ConnectionKey]; });
    }

    private async Task<object?> ScalarAsync(string sql)
    {
        await using var command = database.DataSource.CreateCommand(sql);
        return await command.ExecuteScalarAsync();
    }
}
