using ElectraLab.Electra.Finetuning.Glue;
using ElectraLab.Tests.Support;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Tests.Finetuning;

/// <summary>Every GLUE file in ../shared/data/glue loads with the right counts and labels, and bad rows are counted, not fatal.</summary>
[Trait("Category", "Unit")]
public sealed class GlueLoaderTests
{
    private static string GlueDirectory => Path.Combine(TestPaths.Shared, "data", "glue");

    // task, split, examples, label counts as "label=count,...", or for STS-B "distinct scores=sum of scores".
    public static TheoryData<string, string, int, string> Files() => new()
    {
        { "CoLA", "train", 8551, "0=2528,1=6023" },
        { "CoLA", "dev", 1043, "0=322,1=721" },
        { "SST-2", "train", 67349, "0=29780,1=37569" },
        { "SST-2", "dev", 872, "0=428,1=444" },
        { "MRPC", "train", 3668, "0=1194,1=2474" },
        { "MRPC", "dev", 408, "0=129,1=279" },
        { "STS-B", "train", 5749, "205=15528.043" },
        { "STS-B", "dev", 1500, "161=3545.861" },
        { "QQP", "dev", 9, "0=5,1=4" },
        { "MNLI-m", "dev", 9815, "contradiction=3213,entailment=3479,neutral=3123" },
        { "MNLI-mm", "dev", 9832, "contradiction=3240,entailment=3463,neutral=3129" },
        { "QNLI", "dev", 5463, "entailment=2702,not_entailment=2761" },
        { "RTE", "train", 2490, "entailment=1249,not_entailment=1241" },
        { "RTE", "dev", 277, "entailment=146,not_entailment=131" },
        { "WNLI", "train", 635, "0=323,1=312" },
        { "WNLI", "dev", 71, "0=40,1=31" },
    };

    [Theory, MemberData(nameof(Files))]
    public void SharedFile_LoadsWithExactCountsAndLabels(string taskName, string split, int count, string labels)
    {
        var task = GlueTasks.Get(taskName);
        var data = GlueLoader.Load(task, GlueDirectory, Enum.Parse<GlueSplit>(split, ignoreCase: true));
        Assert.Empty(data.Malformed);
        Assert.Equal(count, data.Examples.Count);
        if (task.IsRegression)
        {
            var sum = data.Examples.Sum(e => e.Score);
            Assert.Equal(labels, $"{data.LabelCounts.Count}={sum.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture)}");
        }
        else Assert.Equal(labels, string.Join(',', data.LabelCounts.OrderBy(kv => kv.Key, StringComparer.Ordinal).Select(kv => $"{kv.Key}={kv.Value}")));
        Assert.All(data.Examples, e => Assert.False(string.IsNullOrEmpty(e.TextA)));
        Assert.All(data.Examples, e => Assert.Equal(task.TrainDevColumns.TextB is null, e.TextB is null));
    }

    [Fact]
    public void SharedFiles_FirstRowsMatchTheSource()
    {
        var cola = GlueLoader.Load(GlueTasks.CoLA, GlueDirectory, GlueSplit.Dev);
        Assert.Equal(new GlueExample("dev-0", "0", "The sailors rode the breeze clear of the rocks.", null, "1"), cola.Examples[0]);
        var mrpc = GlueLoader.Load(GlueTasks.Mrpc, GlueDirectory, GlueSplit.Dev);
        // Quotes are not special in GLUE TSV: the leading quote stays part of the sentence.
        Assert.StartsWith("\"The foodservice pie business", mrpc.Examples[0].TextB);
        Assert.Equal("1", mrpc.Examples[0].Label);
        var sts = GlueLoader.Load(GlueTasks.StsB, GlueDirectory, GlueSplit.Dev);
        Assert.Equal(("0", "A man with a hard hat is dancing.", "A man wearing a hard hat is dancing.", 5.0),
            (sts.Examples[0].Index, sts.Examples[0].TextA, sts.Examples[0].TextB!, sts.Examples[0].Score));
        var qqp = GlueLoader.Load(GlueTasks.Qqp, GlueDirectory, GlueSplit.Dev);
        Assert.Equal(("201359", "Why are African-Americans so beautiful?", "0"), (qqp.Examples[0].Index, qqp.Examples[0].TextA, qqp.Examples[0].Label!));
        var mnli = GlueLoader.Load(GlueTasks.MnliMatched, GlueDirectory, GlueSplit.Dev);
        Assert.Equal(("The new rights are nice enough", "neutral"), (mnli.Examples[0].TextA, mnli.Examples[0].Label!));
    }

    [Fact]
    public void MalformedRows_AreSkippedCountedAndNamed()
    {
        var dir = TestPaths.TempDirectory("glue-bad");
        Directory.CreateDirectory(Path.Combine(dir, "QQP"));
        File.WriteAllText(Path.Combine(dir, "QQP", "train.tsv"),
            "id\tqid1\tqid2\tquestion1\tquestion2\tis_duplicate\r\n" +
            "1\t2\t3\t\"How?\tWhy?\t1\r\n" +
            "2\t4\t5\ta question split over\n" +
            "lines\tsecond\t0\n" +
            "3\t6\t7\tq\tr\tmaybe\n" +
            "4\t8\t9\tq\tr\t0\n");
        var data = GlueLoader.Load(GlueTasks.Qqp, dir, GlueSplit.Train);
        Assert.Equal(["1", "4"], data.Examples.Select(e => e.Index));
        Assert.Equal("\"How?", data.Examples[0].TextA);
        Assert.Equal([3, 4, 5], data.Malformed.Select(m => m.Line));
        Assert.Contains("'maybe'", data.Malformed[2].Reason);
    }

    [Fact]
    public void MissingFile_NamesThePath()
    {
        var error = Assert.Throws<FileNotFoundException>(() => GlueLoader.Load(GlueTasks.Qnli, GlueDirectory, GlueSplit.Train));
        Assert.Contains(Path.Combine("QNLI", "train.tsv"), error.Message);
    }

    [Fact]
    public void TestSplit_HasNoLabels()
    {
        var dir = TestPaths.TempDirectory("glue-test");
        Directory.CreateDirectory(Path.Combine(dir, "CoLA"));
        File.WriteAllText(Path.Combine(dir, "CoLA", "test.tsv"), "index\tsentence\n0\tBill whistled past the house.\n1\tThe car honked.\n");
        var data = GlueLoader.Load(GlueTasks.CoLA, dir, GlueSplit.Test);
        Assert.Equal([("0", "Bill whistled past the house.", (string?)null), ("1", "The car honked.", null)],
            data.Examples.Select(e => (e.Index, e.TextA, e.Label)));
    }

    // The headers GLUE's test files carry, and what the loader must take from a row.
    [Theory]
    [InlineData("CoLA", "index\tsentence", "7\tA.", "7", "A.", null)]
    [InlineData("SST-2", "index\tsentence", "7\tA.", "7", "A.", null)]
    [InlineData("MRPC", "index\t#1 ID\t#2 ID\t#1 String\t#2 String", "7\t11\t12\tA.\tB.", "7", "A.", "B.")]
    [InlineData("STS-B", "index\tgenre\tfilename\tyear\told_index\tsource1\tsource2\tsentence1\tsentence2", "7\tg\tf\ty\t0001\ts\ts\tA.\tB.", "7", "A.", "B.")]
    [InlineData("QQP", "id\tquestion1\tquestion2", "7\tA?\tB?", "7", "A?", "B?")]
    [InlineData("MNLI-m", "index\tpromptID\tpairID\tgenre\ts1b\ts2b\ts1p\ts2p\tsentence1\tsentence2", "7\tp\tq\tg\t(\t(\t(\t(\tA.\tB.", "7", "A.", "B.")]
    [InlineData("MNLI-mm", "index\tpromptID\tpairID\tgenre\ts1b\ts2b\ts1p\ts2p\tsentence1\tsentence2", "7\tp\tq\tg\t(\t(\t(\t(\tA.\tB.", "7", "A.", "B.")]
    [InlineData("QNLI", "index\tquestion\tsentence", "7\tA?\tB.", "7", "A?", "B.")]
    [InlineData("RTE", "index\tsentence1\tsentence2", "7\tA.\tB.", "7", "A.", "B.")]
    [InlineData("WNLI", "index\tsentence1\tsentence2", "7\tA.\tB.", "7", "A.", "B.")]
    public void TestFiles_InGlueLayout_Load(string taskName, string header, string row, string index, string textA, string? textB)
    {
        var task = GlueTasks.Get(taskName);
        var dir = TestPaths.TempDirectory("glue-test");
        Directory.CreateDirectory(Path.Combine(dir, task.Folder));
        File.WriteAllText(Path.Combine(dir, task.Folder, task.TestFile), $"{header}\n{row}\n");
        var example = Assert.Single(GlueLoader.Load(task, dir, GlueSplit.Test).Examples);
        Assert.Equal((index, textA, textB, (string?)null), (example.Index, example.TextA, example.TextB, example.Label));
    }

    [Fact]
    public void Registry_HasNineTasksWithMnliTwice()
    {
        Assert.Equal(["CoLA", "SST-2", "MRPC", "STS-B", "QQP", "MNLI-m", "MNLI-mm", "QNLI", "RTE", "WNLI"], GlueTasks.All.Select(t => t.Name));
        Assert.Equal("dev_mismatched.tsv", GlueTasks.Get("mnli-mm").DevFile);
        Assert.Same(GlueTasks.MnliMatched, GlueTasks.Get("MNLI"));
        Assert.True(GlueTasks.StsB.IsRegression);
        Assert.Equal(1, GlueTasks.StsB.NumLabels);
        Assert.Equal(3, GlueTasks.MnliMismatched.NumLabels);
        Assert.Throws<ArgumentException>(() => GlueTasks.Get("SQuAD"));
    }

    [Fact]
    public void BothOrders_AppendsSwappedCopiesForMrpcAndStsBOnly()
    {
        var mrpc = GlueLoader.Load(GlueTasks.Mrpc, GlueDirectory, GlueSplit.Dev).Examples;
        var doubled = GlueAugmentation.ForTraining(GlueTasks.Mrpc, mrpc);
        Assert.Equal(2 * mrpc.Count, doubled.Count);
        Assert.Equal((mrpc[0].TextB, mrpc[0].TextA, mrpc[0].Label), (doubled[mrpc.Count].TextA, doubled[mrpc.Count].TextB, doubled[mrpc.Count].Label));
        var rte = GlueLoader.Load(GlueTasks.Rte, GlueDirectory, GlueSplit.Dev).Examples;
        Assert.Same(rte, GlueAugmentation.ForTraining(GlueTasks.Rte, rte));
    }
}
