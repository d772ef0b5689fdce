using System.Net.Sockets;
using Npgsql;

namespace ElectraLab.Storage.Resilience;

/// <summary>
/// Which database failures are weather (worth waiting out and retrying) rather than a fault of the request: the server
/// unreachable or restarting, a pooled connection it terminated, a connection lost mid-command, a transient conflict.
/// Everything else (a constraint violation, a syntax error, a wrong type) fails at once.
/// </summary>
public static class TransientDatabaseErrors
{
    // SQLSTATEs outside class 08 (connection exception) that a restart or overload produces.
    private static readonly HashSet<string> TransientStates =
    [
        "57P01", // admin_shutdown: the server terminated this (pooled) connection while shutting down
        "57P02", // crash_shutdown
        "57P03", // cannot_connect_now: the server is starting up or shutting down
        "53300", // too_many_connections
        "40001", // serialization_failure
        "40P01", // deadlock_detected
        "58000", // system_error
        "58030", // io_error
    ];

    public static bool IsTransient(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            switch (e)
            {
                case PostgresException pg:
                    return pg.SqlState.StartsWith("08", StringComparison.Ordinal) || TransientStates.Contains(pg.SqlState) || pg.IsTransient;
                case NpgsqlException npgsql when npgsql.IsTransient:
                    return true;
                case SocketException or EndOfStreamException or TimeoutException:
                    return true;
                case IOException when e.InnerException is null or SocketException:
                    return true;
            }
        }
        return false;
    }
}
