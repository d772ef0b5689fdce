using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ElectraLab.Storage;

public static class StorageDataSource
{
    public static NpgsqlDataSource Create(string connectionString) =>
        new NpgsqlDataSourceBuilder(connectionString).Build();

    /// <summary>
    /// EF Core on the shared data source, retrying transient errors a few times within about a second: enough to get
    /// past pooled connections a restarted server terminated (57P01), short enough that a request during an outage
    /// soon answers 503 (the API maps what is still transient after that).
    /// </summary>
    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder, NpgsqlDataSource dataSource) =>
        builder.UseNpgsql(dataSource, npgsql => npgsql.EnableRetryOnFailure(3, TimeSpan.FromMilliseconds(300), null));

    public static ElectraLabDbContext CreateContext(NpgsqlDataSource dataSource) =>
        new((DbContextOptions<ElectraLabDbContext>)Configure(new DbContextOptionsBuilder<ElectraLabDbContext>(), dataSource).Options);
}
