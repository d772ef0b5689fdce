// Where pre-training batches come from. A source knows its position, so a checkpoint can resume the data
// stream exactly where it stopped.
namespace ElectraLab.Electra.Pretraining;

/// <summary>Unmasked token batches, row-major [B, T], zero padded.</summary>
public sealed record TokenBatch(long[] InputIds, long[] InputMask, long[] SegmentIds, int BatchSize, int SeqLength);

public interface IPretrainingBatchSource : IDisposable
{
    /// <summary>An opaque JSON string: passing it to the source's factory continues with the next batch.</summary>
    string Position { get; }
    TokenBatch Next();
}

/// <summary>Creates a source at a saved position (null = the start).</summary>
public delegate IPretrainingBatchSource BatchSourceFactory(string? position);

/// <summary>
/// Full-length random sequences "[CLS] tokens… [SEP]" for benchmarks and tests that need data of a given shape
/// but not of a given language. Deterministic in (seed, batch index).
/// </summary>
public sealed class RandomTokenSource(int batchSize, int seqLength, int vocabSize, long seed, SpecialTokens special, long start = 0,
    int firstRegularId = 1000) : IPretrainingBatchSource
{
    private long _index = start;

    public string Position => _index.ToString(System.Globalization.CultureInfo.InvariantCulture);

    public static BatchSourceFactory Factory(int batchSize, int seqLength, int vocabSize, long seed, SpecialTokens special) =>
        position => new RandomTokenSource(batchSize, seqLength, vocabSize, seed, special, position is null ? 0 : long.Parse(position));

    public TokenBatch Next()
    {
        var random = new StepRandom(seed, _index++, stream: 7);
        int n = batchSize * seqLength;
        var ids = new long[n];
        var mask = new long[n];
        var segments = new long[n];
        int low = Math.Min(firstRegularId, vocabSize / 2);
        for (int b = 0; b < batchSize; b++)
        {
            int row = b * seqLength;
            for (int t = 0; t < seqLength; t++)
            {
                ids[row + t] = low + random.Next(vocabSize - low);
                mask[row + t] = 1;
                segments[row + t] = t < seqLength / 2 ? 0 : 1;
            }
            ids[row] = special.Cls;
            ids[row + seqLength / 2 - 1] = special.Sep;
            ids[row + seqLength - 1] = special.Sep;
        }
        return new TokenBatch(ids, mask, segments, batchSize, seqLength);
    }

    public void Dispose() { }
}
