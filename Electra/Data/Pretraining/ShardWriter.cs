// Writes one shard (format in ShardFormat.cs): records stream straight to disk; the index is kept as one long per
// example and appended at the end, then the header is patched with the count and index position.
using System.Buffers.Binary;

namespace ElectraLab.Electra.Data.Pretraining;

public sealed class ShardWriter : IDisposable
{
    private readonly FileStream _stream;
    private readonly int _maxSeqLength;
    private readonly int _tokenWidth;
    private readonly List<long> _offsets = [];
    private readonly byte[] _record;
    private long _tokenCount;
    private bool _finished;

    public ShardWriter(string path, int maxSeqLength, int vocabSize)
    {
        if (maxSeqLength > ushort.MaxValue) throw new ArgumentOutOfRangeException(nameof(maxSeqLength), maxSeqLength, "at most 65535");
        _maxSeqLength = maxSeqLength;
        _tokenWidth = ShardFormat.TokenWidth(vocabSize);
        _record = new byte[4 + maxSeqLength * _tokenWidth];
        _stream = new FileStream(path, FileMode.Create, FileAccess.ReadWrite, FileShare.None, 1 << 16);
        _stream.Write(new byte[ShardFormat.HeaderSize]);
        Path = path;
    }

    public string Path { get; }
    public long Count => _offsets.Count;
    public long TokenCount => _tokenCount;

    public void Write(PretrainingExample example)
    {
        var ids = example.InputIds;
        if (ids.Length > _maxSeqLength) throw new ArgumentException($"example of {ids.Length} tokens exceeds max_seq_length {_maxSeqLength}");
        _offsets.Add(_stream.Position);
        var record = _record.AsSpan(0, 4 + ids.Length * _tokenWidth);
        BinaryPrimitives.WriteUInt16LittleEndian(record, (ushort)ids.Length);
        BinaryPrimitives.WriteUInt16LittleEndian(record[2..], (ushort)example.FirstSegmentLength);
        var body = record[4..];
        if (_tokenWidth == 2)
            for (int i = 0; i < ids.Length; i++) BinaryPrimitives.WriteUInt16LittleEndian(body[(2 * i)..], checked((ushort)ids[i]));
        else
            for (int i = 0; i < ids.Length; i++) BinaryPrimitives.WriteInt32LittleEndian(body[(4 * i)..], ids[i]);
        _stream.Write(record);
        _tokenCount += ids.Length;
    }

    /// <summary>Writes the index and header; the file is complete only after this.</summary>
    public void Finish()
    {
        if (_finished) return;
        long indexOffset = _stream.Position;
        _offsets.Add(indexOffset);
        var index = new byte[_offsets.Count * 8];
        for (int i = 0; i < _offsets.Count; i++) BinaryPrimitives.WriteInt64LittleEndian(index.AsSpan(8 * i), _offsets[i]);
        _offsets.RemoveAt(_offsets.Count - 1);
        _stream.Write(index);

        var header = new byte[ShardFormat.HeaderSize];
        ShardFormat.Magic.CopyTo(header);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), ShardFormat.Version);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(12), _maxSeqLength);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(16), _tokenWidth);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(24), _offsets.Count);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(32), indexOffset);
        BinaryPrimitives.WriteInt64LittleEndian(header.AsSpan(40), _tokenCount);
        _stream.Position = 0;
        _stream.Write(header);
        _stream.Flush();
        _finished = true;
    }

    public void Dispose()
    {
        Finish();
        _stream.Dispose();
    }
}
