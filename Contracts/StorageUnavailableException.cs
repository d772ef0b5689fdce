namespace ElectraLab.Contracts;

/// <summary>
/// A grain call failed because PostgreSQL was unreachable (stopped, restarting, out of connections): the request was
/// fine and can be retried once the database is back. Crosses the Orleans boundary as itself, where a driver exception
/// would arrive as an opaque fallback, so the API can answer 503 rather than 500.
/// </summary>
[GenerateSerializer, Alias("electralab.StorageUnavailableException")]
public sealed class StorageUnavailableException : Exception
{
    public StorageUnavailableException(string message)
        : base(message)
    {
    }
}
