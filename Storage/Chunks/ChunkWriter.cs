using System.Buffers;
using System.Security.Cryptography;
using Npgsql;
using NpgsqlTypes;

namespace ElectraLab.Storage.Chunks;

/// <summary>What <see cref="ChunkWriter.CopyAsync"/> wrote: total length, chunk count and the SHA-256 of the content.</summary>
public readonly record struct ChunkedContent(long Bytes, int Chunks, byte[] Sha256);

/// <summary>
/// Streams content into a chunk table ("(owner_id, index, data)" rows) with binary COPY, hashing as it goes, inside the
/// caller's transaction. Checkpoints and datasets are both stored this way, so neither ever holds a whole blob in memory.
/// </summary>
internal static class ChunkWriter
{
    /// <param name="copyTarget">The COPY target, e.g. "checkpoint_chunks (checkpoint_id, index, data)".</param>
    public static async Task<ChunkedContent> CopyAsync(NpgsqlConnection connection, string copyTarget, Guid ownerId,
        Stream content, int chunkSize, CancellationToken cancellationToken)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(chunkSize);
        long bytes = 0;
        var chunks = 0;
        try
        {
            await using var importer = await connection.BeginBinaryImportAsync(
                $"COPY {copyTarget} FROM STDIN (FORMAT BINARY)", cancellationToken);
            while (true)
            {
                var filled = await content.ReadAtLeastAsync(buffer.AsMemory(0, chunkSize), chunkSize,
                    throwOnEndOfStream: false, cancellationToken);
                if (filled == 0)
                {
                    break;
                }
                // Hashing and sending only read the buffer, so they run side by side.
                var hashed = Task.Run(() => hash.AppendData(buffer, 0, filled), CancellationToken.None);
                try
                {
                    await importer.StartRowAsync(cancellationToken);
                    await importer.WriteAsync(ownerId, NpgsqlDbType.Uuid, cancellationToken);
                    await importer.WriteAsync(chunks, NpgsqlDbType.Integer, cancellationToken);
                    await importer.WriteAsync(new ArraySegment<byte>(buffer, 0, filled), NpgsqlDbType.Bytea, cancellationToken);
                }
                finally
                {
                    await hashed;
                }
                bytes += filled;
                chunks++;
                if (filled < chunkSize)
                {
                    break;
                }
            }
            await importer.CompleteAsync(cancellationToken);
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        return new ChunkedContent(bytes, chunks, hash.GetHashAndReset());
    }
}
