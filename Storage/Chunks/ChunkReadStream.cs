using System.Data;
using System.Security.Cryptography;
using Npgsql;

namespace ElectraLab.Storage.Chunks;

/// <summary>
/// Reads a stored blob's chunks (a checkpoint's or a dataset's) in order, one row at a time with sequential access, so memory stays at Npgsql's
/// buffer size whatever the checkpoint's size. Length and SHA-256 are checked when the last chunk has been read.
/// </summary>
internal sealed class ChunkReadStream : Stream
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlCommand _command;
    private readonly NpgsqlDataReader _reader;
    private readonly long _bytes;
    private readonly byte[] _sha256;
    private readonly string _what;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private Stream? _chunk;
    private long _position;
    private bool _finished;

    private ChunkReadStream(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader, long bytes, byte[] sha256, string what)
    {
        _connection = connection;
        _command = command;
        _reader = reader;
        _bytes = bytes;
        _sha256 = sha256;
        _what = what;
    }

    /// <param name="select">One column of chunk data for the owner id in $1, in chunk order.</param>
    /// <param name="what">How errors name the blob ("Checkpoint …", "Dataset …").</param>
    public static async Task<Stream> OpenAsync(NpgsqlDataSource dataSource, string select, Guid ownerId, long bytes, byte[] sha256,
        string what, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var command = new NpgsqlCommand(select, connection);
            command.Parameters.Add(new() { Value = ownerId });
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
            return new ChunkReadStream(connection, command, reader, bytes, sha256, what);
        }
        catch
        {
            await connection.DisposeAsync();
            throw;
        }
    }

    public override bool CanRead => true;
    public override bool CanSeek => false;
    public override bool CanWrite => false;
    public override long Length => _bytes;
    public override long Position { get => _position; set => throw new NotSupportedException(); }

    public override int Read(byte[] buffer, int offset, int count) =>
        ReadAsync(buffer.AsMemory(offset, count)).AsTask().GetAwaiter().GetResult();

    public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        while (!_finished && buffer.Length > 0)
        {
            if (_chunk is null)
            {
                if (!await _reader.ReadAsync(cancellationToken))
                {
                    Verify();
                    return 0;
                }
                _chunk = await _reader.GetStreamAsync(0, cancellationToken);
            }
            var read = await _chunk.ReadAsync(buffer, cancellationToken);
            if (read > 0)
            {
                _hash.AppendData(buffer.Span[..read]);
                _position += read;
                return read;
            }
            await _chunk.DisposeAsync();
            _chunk = null;
        }
        return 0;
    }

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    private void Verify()
    {
        _finished = true;
        var actual = _hash.GetHashAndReset();
        if (_position != _bytes || !CryptographicOperations.FixedTimeEquals(actual, _sha256))
        {
            throw new InvalidDataException(
                $"{_what} is corrupt: read {_position} bytes with SHA-256 {Convert.ToHexString(actual)}, " +
                $"expected {_bytes} bytes with SHA-256 {Convert.ToHexString(_sha256)}.");
        }
    }

    public override void Flush() { }
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
    public override void SetLength(long value) => throw new NotSupportedException();
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override async ValueTask DisposeAsync()
    {
        if (_chunk is not null)
        {
            await _chunk.DisposeAsync();
        }
        await _reader.DisposeAsync();
        await _command.DisposeAsync();
        await _connection.DisposeAsync();
        _hash.Dispose();
        await base.DisposeAsync();
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _chunk?.Dispose();
            _reader.Dispose();
            _command.Dispose();
            _connection.Dispose();
            _hash.Dispose();
        }
        base.Dispose(disposing);
    }
}
