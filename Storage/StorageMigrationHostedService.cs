using Microsoft.Extensions.Hosting;

namespace ElectraLab.Storage;

/// <summary>Migrates the database before the host starts serving (hosted services start in registration order).</summary>
internal sealed class StorageMigrationHostedService(StorageMigrator migrator) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => migrator.MigrateAsync(cancellationToken);

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
