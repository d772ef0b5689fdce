// Reads a shard (format in ShardFormat.cs) by record: the header and offset index are loaded, each example is
// read with one positioned read where it lies, so a dataset of any size streams through a fixed buffer.
using System.Buffers.Binary;
using Microsoft.Win32.SafeHandles;

namespace ElectraLab.Electra.Data.Pretraining;

public sealed class ShardReader : IDisposable
{
    private readonly SafeFileHandle _file;
    private readonly long[] _offsets;
    private readonly int _tokenWidth;
    private readonly byte[] _buffer;

    public ShardReader(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: shard missing", path);
        Path = path;
        _file = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        try
        {
            var header = new byte[ShardFormat.HeaderSize];
            if (RandomAccess.Read(_file, header, 0) != header.Length || !header.AsSpan(0, 8).SequenceEqual(ShardFormat.Magic))
                throw new InvalidDataException($"{path}: not an ElectraLab pre-training shard");
            int version = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(8));
            if (version != ShardFormat.Version) throw new InvalidDataException($"{path}: shard version {version}, expected {ShardFormat.Version}");
            MaxSeqLength = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(12));
            _tokenWidth = BinaryPrimitives.ReadInt32LittleEndian(header.AsSpan(16));
            long count = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(24));
            long indexOffset = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(32));
            TokenCount = BinaryPrimitives.ReadInt64LittleEndian(header.AsSpan(40));
            // Every size is checked in long arithmetic against the file's length before anything becomes an int or an
            // allocation, so a corrupt header is reported as corrupt rather than overflowing or asking for terabytes.
            long length = RandomAccess.GetLength(_file);
            if (MaxSeqLength is < 1 or > ushort.MaxValue || _tokenWidth is not (2 or 4))
                throw new InvalidDataException($"{path}: corrupt shard header (max_seq_length {MaxSeqLength}, token width {_tokenWidth})");
            if (count < 0 || count > (length - ShardFormat.HeaderSize) / 8 || count >= Array.MaxLength / 8
                || indexOffset < ShardFormat.HeaderSize || indexOffset > length || length - indexOffset != (count + 1) * 8)
                throw new InvalidDataException($"{path}: corrupt shard header ({count} examples, index at byte {indexOffset} of {length}; unfinished write?)");
            var index = new byte[(count + 1) * 8];
            if (RandomAccess.Read(_file, index, indexOffset) != index.Length) throw new InvalidDataException($"{path}: truncated shard index");
            _offsets = new long[count + 1];
            long recordMax = 4 + (long)MaxSeqLength * _tokenWidth;
            for (int i = 0; i <= count; i++)
            {
                long at = _offsets[i] = BinaryPrimitives.ReadInt64LittleEndian(index.AsSpan(8 * i));
                // Records follow the header back to back; each holds its two lengths and at most max_seq_length ids.
                bool fits = i == 0 ? at == ShardFormat.HeaderSize : at - _offsets[i - 1] >= 4 && at - _offsets[i - 1] <= recordMax;
                if (!fits || at > indexOffset)
                    throw new InvalidDataException($"{path}: corrupt shard index (record {i} at byte {_offsets[i]})");
            }
            if (_offsets[count] != indexOffset) throw new InvalidDataException($"{path}: corrupt shard index (records end at byte {_offsets[count]}, the index starts at {indexOffset})");
            _buffer = new byte[recordMax];
        }
        catch
        {
            _file.Dispose();
            throw;
        }
    }

    public string Path { get; }
    public int MaxSeqLength { get; }
    public long TokenCount { get; }
    public int Count => _offsets.Length - 1;

    public PretrainingExample Read(int index)
    {
        var record = ReadRecord(index, out int length, out int firstLength);
        var ids = new int[length];
        for (int i = 0; i < length; i++) ids[i] = Token(record, i);
        return new PretrainingExample(ids, firstLength);
    }

    /// <summary>Writes example <paramref name="index"/> into one zero-padded row of each feature.</summary>
    public void ReadInto(int index, Span<long> inputIds, Span<long> inputMask, Span<long> segmentIds)
    {
        var record = ReadRecord(index, out int length, out int firstLength);
        for (int i = 0; i < length; i++)
        {
            inputIds[i] = Token(record, i);
            inputMask[i] = 1;
            segmentIds[i] = i < firstLength ? 0 : 1;
        }
        inputIds[length..].Clear();
        inputMask[length..].Clear();
        segmentIds[length..].Clear();
    }

    private ReadOnlySpan<byte> ReadRecord(int index, out int length, out int firstLength)
    {
        if ((uint)index >= (uint)Count) throw new ArgumentOutOfRangeException(nameof(index), index, $"shard holds {Count} examples");
        // The constructor bounded every record by the buffer, so the size fits an int.
        int size = (int)(_offsets[index + 1] - _offsets[index]);
        var span = _buffer.AsSpan(0, size);
        if (RandomAccess.Read(_file, span, _offsets[index]) != size) throw new InvalidDataException($"{Path}: truncated record {index}");
        length = BinaryPrimitives.ReadUInt16LittleEndian(span);
        firstLength = BinaryPrimitives.ReadUInt16LittleEndian(span[2..]);
        if (4 + length * _tokenWidth != size || firstLength > length) throw new InvalidDataException($"{Path}: corrupt record {index}");
        return span[4..];
    }

    private int Token(ReadOnlySpan<byte> body, int i) => _tokenWidth == 2
        ? BinaryPrimitives.ReadUInt16LittleEndian(body[(2 * i)..])
        : BinaryPrimitives.ReadInt32LittleEndian(body[(4 * i)..]);

    public void Dispose() => _file.Dispose();
}
