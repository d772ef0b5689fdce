using System.Data;
using System.Security.Cryptography;
using Npgsql;

namespace ElectraLab.Storage.Checkpoints;

/// <summary>
/// Reads a checkpoint's chunks in order, one row at a time with sequential access, so memory stays at Npgsql's
/// buffer size whatever the checkpoint's size. Length and SHA-256 are checked when the last chunk has been read.
/// </summary>
internal sealed class CheckpointReadStream : Stream
{
    private readonly NpgsqlConnection _connection;
    private readonly NpgsqlCommand _command;
    private readonly NpgsqlDataReader _reader;
    private readonly CheckpointInfo _info;
    private readonly IncrementalHash _hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private Stream? _chunk;
    private long _position;
    private bool _finished;

    private CheckpointReadStream(NpgsqlConnection connection, NpgsqlCommand command, NpgsqlDataReader reader, CheckpointInfo info)
    {
        _connection = connection;
        _command = command;
        _reader = reader;
        _info = info;
    }

    public static async Task<Stream> OpenAsync(NpgsqlDataSource dataSource, CheckpointInfo info, CancellationToken cancellationToken)
    {
        var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        try
        {
            var command = new NpgsqlCommand(
                "SELECT data FROM checkpoint_chunks WHERE checkpoint_id = $1 ORDER BY index", connection);
            command.Parameters.Add(new() { Value = info.Id });
            var reader = await command.ExecuteReaderAsync(CommandBehavior.SequentialAccess, cancellationToken);
            return new CheckpointReadStream(connection, command, reader, info);
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
    public override long Length => _info.Bytes;
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
        if (_position != _info.Bytes || !CryptographicOperations.FixedTimeEquals(actual, _info.Sha256))
        {
            throw new InvalidDataException(
                $"Checkpoint {_info.Id} is corrupt: read {_position} bytes with SHA-256 {Convert.ToHexString(actual)}, " +
                $"expected {_info.Bytes} bytes with SHA-256 {Convert.ToHexString(_info.Sha256)}.");
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
