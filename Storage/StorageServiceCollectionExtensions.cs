using ElectraLab.Storage.Auth;
using ElectraLab.Storage.Checkpoints;
using ElectraLab.Storage.Logs;
using ElectraLab.Storage.Metrics;
using ElectraLab.Storage.Platform;
using ElectraLab.Storage.Queries;
using ElectraLab.Storage.Results;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Npgsql;

namespace ElectraLab.Storage;

public static class StorageServiceCollectionExtensions
{
    /// <summary>
    /// Registers ElectraLab storage on the database named by <c>ConnectionStrings:ElectraLab</c>
    /// (environment <c>ConnectionStrings__ElectraLab</c>), and a hosted service that migrates it at start-up.
    /// </summary>
    public static IServiceCollection AddElectraLabStorage(this IServiceCollection services, IConfiguration configuration)
    {
        var connectionString = configuration.GetConnectionString(StorageOptions.ConnectionStringName);
        if (string.IsNullOrWhiteSpace(connectionString))
        {
            throw new InvalidOperationException(
                $"No database configured: set ConnectionStrings:{StorageOptions.ConnectionStringName} " +
                $"(environment ConnectionStrings__{StorageOptions.ConnectionStringName}).");
        }
        return services.AddElectraLabStorage(new StorageOptions { ConnectionString = connectionString });
    }

    public static IServiceCollection AddElectraLabStorage(this IServiceCollection services, StorageOptions options)
    {
        services.TryAddSingleton(options);
        services.TryAddSingleton(_ => StorageDataSource.Create(options.ConnectionString));
        services.AddDbContextFactory<ElectraLabDbContext>((sp, db) =>
            StorageDataSource.Configure(db, sp.GetRequiredService<NpgsqlDataSource>()));
        services.TryAddSingleton<StorageMigrator>();
        services.TryAddSingleton<MetricWriter>();
        services.TryAddSingleton<JobLogWriter>();
        services.TryAddSingleton<JobLogQueries>();
        services.TryAddSingleton<CheckpointStore>();
        services.TryAddSingleton<Datasets.DatasetStore>();
        services.TryAddSingleton<PlatformRows>();
        services.TryAddSingleton<EvaluationResultStore>();
        services.TryAddSingleton<ApiKeyStore>();
        services.TryAddSingleton<LeaderboardQueries>();
        services.TryAddSingleton<ComputeCurveQueries>();
        services.TryAddSingleton<ExperimentHistoryQueries>();
        services.TryAddSingleton<MetricSeriesQueries>();
        services.TryAddSingleton<ExperimentComparisonQueries>();
        services.TryAddSingleton<SweepResultsQueries>();
        services.AddHostedService<StorageMigrationHostedService>();
        return services;
    }
}
