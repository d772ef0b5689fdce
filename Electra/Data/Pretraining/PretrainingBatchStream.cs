// Endless, resumable batches over a dataset folder. Each epoch visits every example once, in an order fixed by
// (seed, epoch): the shards in a shuffled order, and each shard's examples shuffled within it. The cursor counts
// examples handed out this epoch, so a position is two integers and restoring it needs only the manifest and the
// one shard the cursor falls in. Only one shard's index and permutation are in memory; records are read where they
// lie. A batch that runs past the last example continues into the next epoch.
using ElectraLab.Config;
namespace ElectraLab.Electra.Data.Pretraining;

public sealed class PretrainingBatchStream : IDisposable
{
    private readonly string _directory;
    private readonly int _batchSize;
    private readonly int _seed;
    private readonly PretrainingDataset _dataset;
    private int _epoch;
    private long _cursor;
    private int[] _shardOrder = [];
    private int _orderIndex;
    private long _shardStart;
    private int[] _rowOrder = [];
    private ShardReader? _reader;

    public PretrainingBatchStream(string datasetDirectory, int batchSize, int seed, DataPosition? start = null)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be positive");
        _directory = datasetDirectory;
        _batchSize = batchSize;
        _seed = seed;
        _dataset = PretrainingDataset.Load(datasetDirectory);
        if (_dataset.ExampleCount == 0) throw new InvalidDataException($"{datasetDirectory}: the dataset holds no examples");
        start ??= DataPosition.Start;
        if (start.Epoch < 0 || start.Cursor < 0 || start.Cursor > _dataset.ExampleCount)
            throw new ArgumentOutOfRangeException(nameof(start), start, $"position outside an epoch of {_dataset.ExampleCount} examples");
        Seek(start.Epoch, start.Cursor);
    }

    public PretrainingDataset Dataset => _dataset;
    public int MaxSeqLength => _dataset.MaxSeqLength;
    public long ExampleCount => _dataset.ExampleCount;
    public int BatchSize => _batchSize;

    /// <summary>The position of the next batch.</summary>
    public DataPosition Position => new(_epoch, _cursor);

    public PretrainingBatch Next()
    {
        int t = MaxSeqLength;
        var ids = new long[_batchSize * t];
        var mask = new long[_batchSize * t];
        var segments = new long[_batchSize * t];
        for (int row = 0; row < _batchSize; row++)
        {
            if (_cursor == ExampleCount) Seek(_epoch + 1, 0);
            while (_cursor - _shardStart == _rowOrder.Length) OpenShard(_orderIndex + 1);
            int local = _rowOrder[_cursor - _shardStart];
            _reader!.ReadInto(local, ids.AsSpan(row * t, t), mask.AsSpan(row * t, t), segments.AsSpan(row * t, t));
            _cursor++;
        }
        return new PretrainingBatch(ids, mask, segments, _batchSize, t);
    }

    private void Seek(int epoch, long cursor)
    {
        _epoch = epoch;
        _cursor = cursor;
        _shardOrder = new SplitMix64(SplitMix64.Combine(_seed, epoch, -1)).Permutation(_dataset.Shards.Count);
        // Walk the shuffled shards to the one holding the cursor; a cursor at the epoch's end waits in the last.
        long start = 0;
        int k = 0;
        while (k < _shardOrder.Length - 1 && start + _dataset.Shards[_shardOrder[k]].Examples <= cursor)
        {
            start += _dataset.Shards[_shardOrder[k]].Examples;
            k++;
        }
        _shardStart = start;
        OpenShard(k, start);
    }

    private void OpenShard(int orderIndex) => OpenShard(orderIndex, _shardStart + _rowOrder.Length);

    private void OpenShard(int orderIndex, long shardStart)
    {
        _reader?.Dispose();
        _reader = null;
        _orderIndex = orderIndex;
        _shardStart = shardStart;
        int shard = _shardOrder[orderIndex];
        var info = _dataset.Shards[shard];
        _reader = new ShardReader(Path.Combine(_directory, info.File));
        if (_reader.Count != info.Examples || _reader.MaxSeqLength != MaxSeqLength)
            throw new InvalidDataException($"{_reader.Path}: does not match {PretrainingDataset.ManifestFile}");
        _rowOrder = new SplitMix64(SplitMix64.Combine(_seed, _epoch, shard)).Permutation(_reader.Count);
    }

    public void Dispose()
    {
        _reader?.Dispose();
        _reader = null;
    }
}
