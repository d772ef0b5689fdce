using ElectraLab.Electra.Finetuning.Squad;
using ElectraLab.Tests.Support;

namespace ElectraLab.Tests.Finetuning;

[Trait("Category", "Unit")]
public sealed class SquadDatasetTests
{
    internal static string SquadFile(string name) => Path.Combine(TestPaths.Shared, "data", "squad", name);

    [Theory]
    [InlineData("dev-v1.1.json", false, 48, 10570, 0)]
    [InlineData("dev-v2.0.first5articles.json", true, 5, 1407, 702)]
    [InlineData("dev-v2.0.cs224n-half.json", true, 16, 6078, 3168)]
    [InlineData("dev-v2.0.sample.json", true, 2, 14, 6)]
    [InlineData("sample.json", true, 1, 14, 6)]   // flat Hugging Face layout: one untitled article
    public void SharedFile_LoadsWithTheRightQuestionCounts(string file, bool v2, int articles, int questions, int impossible)
    {
        var dataset = SquadDataset.Load(SquadFile(file));
        Assert.Equal(v2, dataset.IsV2);
        Assert.Equal(articles, dataset.Articles.Count);
        Assert.Equal(questions, dataset.QuestionCount);
        Assert.Equal(impossible, dataset.Questions.Count(x => x.Question.IsImpossible));
        Assert.All(dataset.Questions, x => Assert.Equal(x.Question.IsImpossible, x.Question.Answers.Count == 0));
    }

    [Fact]
    public void FlatAndOfficialLayouts_OfTheSameQuestions_Agree()
    {
        var flat = SquadDataset.Load(SquadFile("sample.json")).Questions.ToList();
        var official = SquadDataset.Load(SquadFile("dev-v2.0.sample.json")).Questions.ToList();
        Assert.Equal(official.Select(x => (x.Question.Id, x.Paragraph.Context, x.Question.IsImpossible, x.Question.Answers.FirstOrDefault())),
            flat.Select(x => (x.Question.Id, x.Paragraph.Context, x.Question.IsImpossible, x.Question.Answers.FirstOrDefault())));
        Assert.Equal(4, SquadDataset.Load(SquadFile("sample.json")).Articles[0].Paragraphs.Count);
    }

    [Fact]
    public void NotASquadFile_IsAnInvalidDataError()
    {
        var path = Path.Combine(TestPaths.TempDirectory("squad"), "bad.json");
        File.WriteAllText(path, "{\"version\": \"1.1\", \"rows\": []}");
        Assert.Contains("data", Assert.Throws<InvalidDataException>(() => SquadDataset.Load(path)).Message);
    }

    [Fact]
    public void Document_SplitsOnOfficialWhitespaceOnly()
    {
        var document = new SquadDocument(" Paris\u00a0is  in\u202fFrance.");
        Assert.Equal(["Paris\u00a0is", "in", "France."], document.Tokens);
        Assert.Equal(-1, document.TokenAt(0));
        Assert.Equal(0, document.TokenAt(9));   // the space after "is" belongs to the token before it
        Assert.Equal(1, document.TokenAt(11));
    }

    [Fact]
    public void Document_CountsCodePointsLikePython()
    {
        var document = new SquadDocument("\U0001F600 smile here");
        Assert.Equal(12, document.CodePointCount);
        Assert.Equal(1, document.TokenAt(2));   // code point 2 is the 's' of "smile"
    }
}
