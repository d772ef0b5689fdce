using ElectraLab.Tests.Shared;

namespace ElectraLab.Cluster.Tests.Support;

/// <summary>The cluster tests' database: a silo and its tests share a pool, so it is capped below the server's limit.</summary>
public sealed class PostgresDatabase() : PostgresTestDatabase("electralab_cluster", maxPoolSize: 40);
