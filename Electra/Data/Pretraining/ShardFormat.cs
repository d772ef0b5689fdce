// The on-disk shard (one file, little-endian throughout):
//   header, 64 bytes: magic "ELPTSHRD", int32 version, int32 max_seq_length, int32 token width in bytes (2 when the
//     vocabulary fits in uint16, else 4), int32 reserved, int64 example count, int64 index offset, int64 token count,
//     then zeros;
//   records: uint16 length n, uint16 first-segment length (the tokens with segment id 0: [CLS] A [SEP]), n ids;
//   index at the index offset: count + 1 int64 record offsets, the last one the end of the records.
// A reader needs only the header and the index in memory; records are read one by one where they lie.
namespace ElectraLab.Electra.Data.Pretraining;

internal static class ShardFormat
{
    public const int Version = 1;
    public const int HeaderSize = 64;
    public const string Extension = ".elshard";
    public static ReadOnlySpan<byte> Magic => "ELPTSHRD"u8;

    public static int TokenWidth(int vocabSize) => vocabSize <= ushort.MaxValue + 1 ? 2 : 4;
}
