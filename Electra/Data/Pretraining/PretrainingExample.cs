// One pre-training example as build_pretraining_dataset.py lays it out (`_make_tf_example`, E-build L97-114):
// [CLS] A [SEP] (B [SEP]), unpadded. Segment ids are 0 for the first FirstSegmentLength tokens ([CLS] A [SEP])
// and 1 after; input_mask is 1 for every stored token; padding to max_seq_length happens when batching.
namespace ElectraLab.Electra.Data.Pretraining;

public sealed record PretrainingExample(int[] InputIds, int FirstSegmentLength)
{
    public int Length => InputIds.Length;

    public bool HasSecondSegment => FirstSegmentLength < InputIds.Length;

    /// <summary>segment_ids, unpadded.</summary>
    public int[] SegmentIds()
    {
        var segments = new int[InputIds.Length];
        Array.Fill(segments, 1, FirstSegmentLength, InputIds.Length - FirstSegmentLength);
        return segments;
    }
}
