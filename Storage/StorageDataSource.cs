using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace ElectraLab.Storage;

public static class StorageDataSource
{
    public static NpgsqlDataSource Create(string connectionString) =>
        new NpgsqlDataSourceBuilder(connectionString).Build();

    public static DbContextOptionsBuilder Configure(DbContextOptionsBuilder builder, NpgsqlDataSource dataSource) =>
        builder.UseNpgsql(dataSource);

    public static ElectraLabDbContext CreateContext(NpgsqlDataSource dataSource) =>
        new(new DbContextOptionsBuilder<ElectraLabDbContext>().UseNpgsql(dataSource).Options);
}
