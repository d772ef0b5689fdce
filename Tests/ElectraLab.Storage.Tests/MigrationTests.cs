using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ElectraLab.Storage.Tests;

[Trait("Category", "Storage")]
public sealed class MigrationTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [SkippableFact]
    public async Task Migrate_AppliedTwice_SucceedsAndLeavesOneHistory()
    {
        database.SkipIfUnavailable();
        var migrator = new StorageMigrator(database.DataSource);

        await migrator.MigrateAsync();
        await migrator.MigrateAsync();

        await using var command = database.DataSource.CreateCommand(
            "SELECT count(*) FROM \"__EFMigrationsHistory\"");
        var applied = (long)(await command.ExecuteScalarAsync())!;
        await using var db = database.CreateContext();
        Assert.Equal(db.Database.GetMigrations().Count(), applied);
        Assert.Empty(await db.Database.GetPendingMigrationsAsync());
    }

    [SkippableFact]
    public async Task Migrate_CreatesTheOrleansQueriesTheProvidersRequire()
    {
        database.SkipIfUnavailable();
        string[] required =
        [
            "InsertMembershipVersionKey", "InsertMembershipKey", "UpdateMembershipKey", "UpdateIAmAlivetimeKey",
            "MembershipReadAllKey", "MembershipReadRowKey", "GatewaysQueryKey", "DeleteMembershipTableEntriesKey",
            "CleanupDefunctSiloEntriesKey", "CleanupDefunctSiloEntryKey", "WriteToStorageKey", "ReadFromStorageKey",
            "ClearStorageKey", "UpsertReminderRowKey", "ReadReminderRowsKey", "ReadReminderRowKey", "ReadRangeRows1Key",
            "ReadRangeRows2Key", "DeleteReminderRowKey", "DeleteReminderRowsKey",
        ];

        await using var command = database.DataSource.CreateCommand("SELECT QueryKey FROM OrleansQuery");
        await using var reader = await command.ExecuteReaderAsync();
        var keys = new HashSet<string>();
        while (await reader.ReadAsync())
        {
            keys.Add(reader.GetString(0));
        }

        Assert.Empty(required.Except(keys));
    }

    [SkippableFact]
    public async Task OrleansQueries_AllParseOnTheMigratedSchema()
    {
        database.SkipIfUnavailable();
        await using var connection = await database.DataSource.OpenConnectionAsync();
        await using var command = new NpgsqlCommand("SELECT querykey, querytext FROM orleansquery", connection);
        var queries = new List<(string Key, string Text)>();
        await using (var reader = await command.ExecuteReaderAsync())
        {
            while (await reader.ReadAsync())
            {
                queries.Add((reader.GetString(0), reader.GetString(1)));
            }
        }

        // Every statement is parsed and planned (not run), its @Name parameters left for the server to type.
        foreach (var (key, text) in queries)
        {
            foreach (var statement in text.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var names = System.Text.RegularExpressions.Regex.Matches(statement, "@([A-Za-z0-9]+)")
                    .Select(m => m.Groups[1].Value).Distinct().ToList();
                var sql = System.Text.RegularExpressions.Regex.Replace(statement, "@([A-Za-z0-9]+)",
                    m => "$" + (names.IndexOf(m.Groups[1].Value) + 1));
                await using var prepare = new NpgsqlCommand($"PREPARE orleans_check AS {sql}", connection);
                var exception = await Record.ExceptionAsync(() => prepare.ExecuteNonQueryAsync());
                await using var deallocate = new NpgsqlCommand("DEALLOCATE ALL", connection);
                await deallocate.ExecuteNonQueryAsync();
                Assert.True(exception is null, $"{key}: {exception?.Message}");
            }
        }
    }
}
