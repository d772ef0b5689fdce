namespace ElectraLab.Electra.Data.Pretraining;

/// <summary>Where a stream stands: the epoch and how many of its examples were already handed out. The stream built
/// at a position yields exactly the batches the original stream yielded after it.</summary>
public sealed record DataPosition(int Epoch, long Cursor)
{
    public static DataPosition Start { get; } = new(0, 0);
}

/// <summary>One batch of the features pretrain_data.py feeds the model: input_ids, input_mask, segment_ids, each
/// row-major [BatchSize, SeqLength] and zero padded to max_seq_length.</summary>
public sealed record PretrainingBatch(long[] InputIds, long[] InputMask, long[] SegmentIds, int BatchSize, int SeqLength);
