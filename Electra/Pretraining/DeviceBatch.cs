// A masked batch as tensors on the training device, with the index helpers the step needs.
using static TorchSharp.torch;

namespace ElectraLab.Electra.Pretraining;

public sealed class DeviceBatch : IDisposable
{
    public DeviceBatch(MaskedBatch batch, Device device)
    {
        long[] bt = [batch.BatchSize, batch.SeqLength];
        long[] bn = [batch.BatchSize, batch.Slots];
        OriginalIds = tensor(batch.OriginalIds, bt, device: device);
        MaskedIds = tensor(batch.MaskedIds, bt, device: device);
        InputMask = tensor(batch.InputMask, bt, device: device);
        SegmentIds = tensor(batch.SegmentIds, bt, device: device);
        Positions = tensor(batch.Positions, bn, device: device);
        LabelIds = tensor(batch.LabelIds, bn, device: device);
        Weights = tensor(batch.Weights, bn, device: device);
        WeightsLong = Weights.to_type(ScalarType.Int64);
        InputMaskFloat = InputMask.to_type(ScalarType.Float32);
        // (B, 1): row b starts at b·T in the flattened (B·T) ids.
        RowOffsets = arange(batch.BatchSize, dtype: int64, device: device).mul(batch.SeqLength).unsqueeze(1);
        NotFirstToken = ones(bt, dtype: ScalarType.Bool, device: device);
        NotFirstToken[TensorIndex.Colon, 0] = false;
        Tokens = batch.BatchSize * batch.SeqLength;
    }

    public Tensor OriginalIds { get; }
    public Tensor MaskedIds { get; }
    public Tensor InputMask { get; }
    public Tensor SegmentIds { get; }
    public Tensor Positions { get; }
    public Tensor LabelIds { get; }
    public Tensor Weights { get; }
    public Tensor WeightsLong { get; }
    public Tensor InputMaskFloat { get; }
    public Tensor RowOffsets { get; }
    public Tensor NotFirstToken { get; }
    public long Tokens { get; }

    public void Dispose()
    {
        foreach (var t in new[] { OriginalIds, MaskedIds, InputMask, SegmentIds, Positions, LabelIds, Weights, WeightsLong, InputMaskFloat, RowOffsets, NotFirstToken })
            t.Dispose();
    }
}
