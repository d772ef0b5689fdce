using System.Net.Sockets;
using ElectraLab.Api.Resilience;
using ElectraLab.Contracts;
using Npgsql;

namespace ElectraLab.Api.Tests;

/// <summary>Which failures the API answers with 503 (the database is away) and which are the request's own.</summary>
[Trait("Category", "Unit")]
public sealed class DatabaseUnavailableHandlerTests
{
    public static TheoryData<string, Exception, bool> Cases => new()
    {
        { "grain storage gave up", new StorageUnavailableException("grain state"), true },
        { "connection refused", new NpgsqlException("Failed to connect", new SocketException((int)SocketError.ConnectionRefused)), true },
        { "EF wrapping a dropped connection", new InvalidOperationException("retries exhausted", new NpgsqlException("Exception while reading", new IOException("reset"))), true },
        { "admin shutdown", new PostgresException("terminating connection", "FATAL", "FATAL", "57P01"), true },
        { "a unique violation", new PostgresException("duplicate key", "ERROR", "ERROR", "23505"), false },
        { "a client that went away", new IOException("The client reset the request stream."), false },
        { "a socket error of the response", new IOException("broken pipe", new SocketException((int)SocketError.ConnectionReset)), false },
        { "a bug", new NullReferenceException(), false },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void OnlyDatabaseOutages_Answer503(string what, Exception exception, bool unavailable) =>
        Assert.True(DatabaseUnavailableHandler.IsUnavailable(exception) == unavailable, what);
}
