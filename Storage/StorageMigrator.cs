using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ElectraLab.Storage;

/// <summary>
/// Applies the EF Core migrations (the ElectraLab tables and the Orleans schema) to the configured database.
/// Idempotent: applied migrations are recorded in __EFMigrationsHistory and skipped, and EF Core holds a database
/// lock while migrating, so silos and the API starting together do not race.
/// </summary>
public sealed class StorageMigrator(NpgsqlDataSource dataSource)
{
    public async Task MigrateAsync(CancellationToken cancellationToken = default)
    {
        await using var db = StorageDataSource.CreateContext(dataSource);
        await db.Database.MigrateAsync(cancellationToken);
    }
}
