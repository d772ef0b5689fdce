using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Data.Tokenization;

namespace ElectraLab.Tests.Data;

/// <summary>The E-build example logic on a known input. The expected examples were produced by the official
/// ExampleBuilder's algorithm run under CPython's `random` with random.seed(1): this C# builder draws the same
/// numbers in the same order, so it reproduces the official output exactly.</summary>
[Trait("Category", "Unit")]
public sealed class ExampleBuilderTests
{
    private static readonly WordPieceTokenizer Numbered = WordPieceTokenizer.FromTokens(DataTestFiles.NumberedVocab());

    // Six documents; each number is one sentence's token count. Token tK has id K + 5; [CLS] = 2, [SEP] = 3.
    private static readonly List<string> Lines = DataTestFiles.NumberedDocuments(
        [3, 4, 5, 2, 6, 3, 4], [20, 3, 2], [2, 2], [7, 7, 7, 7], [1, 9, 4, 6, 2, 5], [11, 11]);

    [Fact]
    public void BuildExamples_Seed1MaxLength16_MatchesOfficialAlgorithm()
    {
        var expected = new (int FirstSegmentLength, int[] Ids)[]
        {
            // Doc 1. t0-t2 start A; t3-t6 would overshoot A's target (16-3)//2 = 6 and loses the 0.5 draw, so B
            // starts; t12-t13 still fit A (the "fits" rule does not check that B has begun); B is truncated.
            (7, [2, 5, 6, 7, 17, 18, 3, 8, 9, 10, 11, 12, 13, 14, 15, 3]),
            // The rest of doc 1 is flushed by the blank line: one sentence, so a single segment.
            (9, [2, 25, 26, 27, 28, 29, 30, 31, 3]),
            // Doc 2: a 20-token sentence alone reaches the target; A is truncated to max_length - 2.
            (16, [2, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 3]),
            // t47-t51 of doc 2 at the blank line: the 10% single-segment draw fired; then the 5% random-length
            // draw set the next target to 11.
            (7, [2, 52, 53, 54, 55, 56, 3]),
            // Doc 3 (4 tokens) ends at the blank line, below the random target of 11; the next target is 12.
            (4, [2, 57, 58, 3, 59, 60, 3]),
            (9, [2, 61, 62, 63, 64, 65, 66, 67, 3, 68, 69, 70, 71, 72, 73, 3]),
            (9, [2, 75, 76, 77, 78, 79, 80, 81, 3, 82, 83, 84, 85, 86, 87, 3]),
            (12, [2, 89, 90, 91, 92, 93, 94, 95, 96, 97, 98, 3, 99, 100, 101, 3]),
            // Another single-segment example (10% draw), flushed at a document end.
            (9, [2, 109, 110, 111, 112, 113, 114, 115, 3]),
            (13, [2, 116, 117, 118, 119, 120, 121, 122, 123, 124, 125, 126, 3, 127, 128, 3]),
        };

        var actual = PretrainingDatasetBuilder.BuildExamples(Numbered, Lines, maxSeqLength: 16, seed: 1).ToList();

        Assert.Equal(expected.Length, actual.Count);
        for (int i = 0; i < expected.Length; i++)
        {
            Assert.Equal(expected[i].Ids, actual[i].InputIds);
            Assert.Equal(expected[i].FirstSegmentLength, actual[i].FirstSegmentLength);
        }
    }

    [Fact]
    public void BuildExamples_SegmentIds_FollowLayout()
    {
        var example = PretrainingDatasetBuilder.BuildExamples(Numbered, Lines, 16, seed: 1).First();
        Assert.Equal([0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 1], example.SegmentIds());
        Assert.True(example.HasSecondSegment);
    }

    [Fact]
    public void BuildExamples_SameSeed_SameOutput_OtherSeed_Differs()
    {
        string Render(long seed) => string.Join(";", PretrainingDatasetBuilder.BuildExamples(Numbered, Lines, 16, seed)
            .Select(e => $"{e.FirstSegmentLength}:{string.Join(',', e.InputIds)}"));
        Assert.Equal(Render(7), Render(7));
        Assert.NotEqual(Render(1), Render(2));
    }

    [Fact]
    public void BuildExamples_EveryExample_StartsWithClsEndsWithSepWithinLength()
    {
        for (long seed = 0; seed < 50; seed++)
            foreach (var e in PretrainingDatasetBuilder.BuildExamples(Numbered, Lines, 16, seed))
            {
                Assert.InRange(e.Length, 3, 16);
                Assert.Equal(2, e.InputIds[0]);
                Assert.Equal(3, e.InputIds[^1]);
                Assert.Equal(3, e.InputIds[e.FirstSegmentLength - 1]);
            }
    }

    [Fact]
    public void PythonRandom_MatchesCPython()
    {
        // random.seed(12345); [random.random() for _ in range(3)]; [random.randint(5, 128) for _ in range(5)]
        var random = new PythonRandom(12345);
        Assert.Equal(0.41661987254534116, random.NextDouble());
        Assert.Equal(0.010169169457068361, random.NextDouble());
        Assert.Equal(0.8252065092537432, random.NextDouble());
        Assert.Equal([43, 114, 52, 124, 29], Enumerable.Range(0, 5).Select(_ => random.NextInt(5, 128)));
        // Seeds over 32 bits use two key words, as CPython's init_by_array does: random.seed(12345 + 2**32).
        var file1 = PretrainingDatasetBuilder.FileRandom(12345, 1);
        Assert.Equal(0.06996149327896617, file1.NextDouble());
        Assert.Equal(46, file1.NextInt(5, 128));
        Assert.Equal(0.8444218515250481, new PythonRandom(0).NextDouble());
    }
}
