// Batches from a dataset folder written by `electralab data prepare`, with its stream position as the
// checkpoint's data position.
using System.Text.Json;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Data.Tokenization;

namespace ElectraLab.Electra.Pretraining;

public sealed class DatasetBatchSource : IPretrainingBatchSource
{
    private readonly PretrainingBatchStream _stream;

    public DatasetBatchSource(string directory, int batchSize, long seed, string? position)
    {
        var start = position is null ? DataPosition.Start : JsonSerializer.Deserialize<DataPosition>(position)
            ?? throw new InvalidDataException($"bad data position '{position}'");
        _stream = new PretrainingBatchStream(directory, batchSize, unchecked((int)seed), start);
    }

    public static BatchSourceFactory Factory(string directory, int batchSize, long seed) =>
        position => new DatasetBatchSource(directory, batchSize, seed, position);

    public int MaxSeqLength => _stream.MaxSeqLength;
    public string Position => JsonSerializer.Serialize(_stream.Position);

    public TokenBatch Next()
    {
        var b = _stream.Next();
        return new TokenBatch(b.InputIds, b.InputMask, b.SegmentIds, b.BatchSize, b.SeqLength);
    }

    /// <summary>[PAD], [CLS], [SEP], [MASK] ids of the vocabulary the dataset was built with.</summary>
    public static SpecialTokens SpecialTokensOf(string directory)
    {
        var dataset = PretrainingDataset.Load(directory);
        var vocab = Path.IsPathRooted(dataset.VocabFile) ? dataset.VocabFile : Path.Combine(directory, dataset.VocabFile);
        var tokenizer = WordPieceTokenizer.FromVocabFile(vocab, dataset.LowerCase);
        return new SpecialTokens(tokenizer.PadId, tokenizer.ClsId, tokenizer.SepId, tokenizer.MaskId);
    }

    public void Dispose() => _stream.Dispose();
}
