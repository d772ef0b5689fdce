using ElectraLab.Electra.Data;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Data;

[Trait("Category", "Unit")]
public sealed class DatasetBuilderTests
{
    /// <summary>Writes <paramref name="files"/> text files of numbered sentences and builds a dataset from them.</summary>
    internal static (string Directory, PretrainingDataset Dataset) BuildNumbered(string name, int files = 4, int threads = 2,
        int shardSize = 7, long seed = 5)
    {
        var root = TestPaths.TempDirectory(name);
        var vocab = DataTestFiles.WriteVocab(root, DataTestFiles.NumberedVocab(2000));
        var inputs = new List<string>();
        for (int f = 0; f < files; f++)
        {
            var path = Path.Combine(root, $"input-{f}.txt");
            // Different document shapes per file; numbering restarts per file, offset so files differ.
            var lines = DataTestFiles.NumberedDocuments([3 + f, 4, 5, 2, 6, 3, 4], [20, 3, 2], [2, 2], [7, 7, 7, 7], [1, 9, 4, 6, 2, 5], [11, 11 + f])
                .Select(l => l.Length == 0 ? l : string.Join(' ', l.Split(' ').Select(t => $"t{int.Parse(t[1..]) + 300 * f}")));
            File.WriteAllLines(path, lines);
            inputs.Add(path);
        }
        var output = Path.Combine(root, "dataset");
        var tokenizer = WordPieceTokenizer.FromVocabFile(vocab);
        var dataset = PretrainingDatasetBuilder.Build(tokenizer, vocab, new PretrainingBuildOptions
        {
            InputFiles = inputs, OutputDirectory = output, MaxSeqLength = 16, Seed = seed, ShardSize = shardSize, Threads = threads,
        });
        return (output, dataset);
    }

    [Fact]
    public void Build_ThreadCount_DoesNotChangeOutput()
    {
        var (one, a) = BuildNumbered("build-t1", threads: 1);
        var (four, b) = BuildNumbered("build-t4", threads: 4);
        Assert.Equal(a.ExampleCount, b.ExampleCount);
        Assert.Equal(a.Shards.Select(s => (s.File, s.Examples, s.Tokens)), b.Shards.Select(s => (s.File, s.Examples, s.Tokens)));
        foreach (var shard in a.Shards)
            Assert.Equal(File.ReadAllBytes(Path.Combine(one, shard.File)), File.ReadAllBytes(Path.Combine(four, shard.File)));
    }

    [Fact]
    public void Build_FirstFile_EqualsBuildExamplesAndShardSizeSplits()
    {
        var (dir, dataset) = BuildNumbered("build-split", files: 2, shardSize: 4);
        var first = dataset.Shards.Where(s => s.Source.EndsWith("input-0.txt")).ToList();
        Assert.All(first, s => Assert.InRange(s.Examples, 1, 4));
        Assert.True(first.Count >= 3);

        var tokenizer = WordPieceTokenizer.FromVocabFile(Path.Combine(Path.GetDirectoryName(dir)!, "vocab.txt"));
        var expected = PretrainingDatasetBuilder.BuildExamples(tokenizer, File.ReadLines(first[0].Source), 16, seed: 5).ToList();
        var actual = new List<PretrainingExample>();
        foreach (var shard in first)
        {
            using var reader = new ShardReader(Path.Combine(dir, shard.File));
            for (int i = 0; i < reader.Count; i++) actual.Add(reader.Read(i));
        }
        Assert.Equal(expected.Select(e => string.Join(',', e.InputIds) + "/" + e.FirstSegmentLength),
            actual.Select(e => string.Join(',', e.InputIds) + "/" + e.FirstSegmentLength));
    }

    [Fact]
    public void Build_WritesManifest()
    {
        var (dir, built) = BuildNumbered("build-manifest", files: 3);
        var loaded = PretrainingDataset.Load(dir);
        Assert.Equal(built.ExampleCount, loaded.ExampleCount);
        Assert.Equal(16, loaded.MaxSeqLength);
        Assert.Equal(5, loaded.Seed);
        Assert.Equal(2005, loaded.VocabSize);
        Assert.Equal(64, loaded.VocabSha256.Length);
        Assert.Equal(3, loaded.Sources.Count);
        Assert.Equal(loaded.ExampleCount, loaded.Sources.Sum(s => s.Examples));
        Assert.Equal(loaded.ExampleCount, loaded.Shards.Sum(s => s.Examples));
        Assert.True(loaded.LowerCase);
    }

    [Fact]
    public void Build_EmptyCorpus_IsInvalidData()
    {
        var root = TestPaths.TempDirectory("build-empty");
        var vocab = DataTestFiles.WriteVocab(root, DataTestFiles.NumberedVocab());
        var input = Path.Combine(root, "empty.txt");
        File.WriteAllText(input, "\n\n  \n");
        var error = Assert.Throws<InvalidDataException>(() => PretrainingDatasetBuilder.Build(WordPieceTokenizer.FromVocabFile(vocab), vocab,
            new PretrainingBuildOptions { InputFiles = [input], OutputDirectory = Path.Combine(root, "out") }));
        Assert.Contains("no text", error.Message);
    }

    [Fact]
    public void Build_RealCorpus_ExamplesAreWellFormed()
    {
        var files = new[]
        {
            Path.Combine(DataTestFiles.Corpus, "gutenberg", "pg84.txt"),
            Path.Combine(DataTestFiles.Corpus, "wikitext-2-raw", "wiki.test.raw"),
        };
        var output = Path.Combine(TestPaths.TempDirectory("build-real"), "dataset");
        var tokenizer = DataTestFiles.BertUncased;
        var dataset = PretrainingDatasetBuilder.Build(tokenizer, DataTestFiles.BertVocab, new PretrainingBuildOptions
        {
            InputFiles = TextInputs.Expand(files), OutputDirectory = output, MaxSeqLength = 128, Seed = 12345, Threads = 2,
        });

        // pg84 (file 0, random.seed(12345)) gives 1222 examples, the count the official algorithm gives under CPython.
        Assert.Equal(1222, dataset.Sources.Single(s => s.Path.EndsWith("pg84.txt")).Examples);
        Assert.InRange(dataset.ExampleCount, 2400, 2600);
        long checkedCount = 0;
        foreach (var shard in dataset.Shards)
        {
            using var reader = new ShardReader(Path.Combine(output, shard.File));
            for (int i = 0; i < reader.Count; i++)
            {
                var e = reader.Read(i);
                Assert.Equal(tokenizer.ClsId, e.InputIds[0]);
                Assert.Equal(tokenizer.SepId, e.InputIds[^1]);
                Assert.InRange(e.Length, 3, 128);
                Assert.DoesNotContain(tokenizer.PadId, e.InputIds);
                checkedCount++;
            }
        }
        Assert.Equal(dataset.ExampleCount, checkedCount);
        Assert.Equal(dataset.ExampleCount, new PretrainingBatchStream(output, 8, 1).ExampleCount);
    }
}
