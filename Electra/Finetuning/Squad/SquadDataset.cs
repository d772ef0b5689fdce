// A SQuAD file: the official layout (data[] -> paragraphs[] -> qas[], as in train/dev-v1.1.json and
// dev-v2.0.json) or the flat layout of Hugging Face `datasets` exports (data[] of {id, question, context,
// answers{text[], answer_start[]}}), whose rows are regrouped into paragraphs by consecutive equal context.
// answer_start counts Unicode code points, as Python indexes the official JSON.
using System.Text.Json;
using ElectraLab.Electra.Evaluation;
using ElectraLab.Config;

namespace ElectraLab.Electra.Finetuning.Squad;

public sealed record SquadAnswer(string Text, int AnswerStart);

/// <summary>A question. v2.0 questions without an answer have IsImpossible set and no Answers.</summary>
public sealed record SquadQuestion(string Id, string Question, IReadOnlyList<SquadAnswer> Answers, bool IsImpossible);

public sealed record SquadParagraph(string Context, IReadOnlyList<SquadQuestion> Questions);

public sealed record SquadArticle(string Title, IReadOnlyList<SquadParagraph> Paragraphs);

public sealed class SquadDataset(string path, string version, bool isV2, IReadOnlyList<SquadArticle> articles)
{
    public string Path { get; } = path;

    /// <summary>The file's "version" field as text ("1.1", "v2.0", "2.0"), or "" when it has none.</summary>
    public string Version { get; } = version;

    /// <summary>SQuAD 2.0 (has unanswerable questions; scored by evaluate-v2.0) rather than 1.1.</summary>
    public bool IsV2 { get; } = isV2;

    public IReadOnlyList<SquadArticle> Articles { get; } = articles;

    public IEnumerable<(SquadParagraph Paragraph, SquadQuestion Question)> Questions =>
        Articles.SelectMany(a => a.Paragraphs).SelectMany(p => p.Questions.Select(q => (p, q)));

    public int QuestionCount => Articles.Sum(a => a.Paragraphs.Sum(p => p.Questions.Count));

    /// <summary>The gold answers in dataset order, as the official scorers read them.</summary>
    public IReadOnlyList<SquadGold> Gold() =>
        Questions.Select(x => new SquadGold(x.Question.Id, x.Question.Answers.Select(a => a.Text).ToList())).ToList();

    public static SquadDataset Load(string path)
    {
        using var document = JsonFiles.ParseDocument(path);
        // The readers below check the fields they name; a value of the wrong JSON type deeper down (a number where
        // an array belongs) surfaces from System.Text.Json as InvalidOperationException or FormatException.
        try { return Read(path, document.RootElement); }
        catch (Exception e) when (e is InvalidOperationException or FormatException)
        {
            throw new InvalidDataException($"{path}: not a SQuAD file ({e.Message})", e);
        }
    }

    private static SquadDataset Read(string path, JsonElement root)
    {
        if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("data", out var data) || data.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{path}: not a SQuAD file (no \"data\" array)");
        var version = root.TryGetProperty("version", out var v) ? v.ValueKind == JsonValueKind.String ? v.GetString()! : v.GetRawText() : "";
        var flat = data.GetArrayLength() > 0 && data[0].TryGetProperty("context", out _);
        var articles = flat ? ReadFlat(path, data) : ReadOfficial(path, data);
        var anyImpossible = articles.SelectMany(a => a.Paragraphs).SelectMany(p => p.Questions).Any(q => q.IsImpossible);
        var isV2 = version.TrimStart('v').StartsWith('2') || (!version.TrimStart('v').StartsWith('1') && anyImpossible);
        return new SquadDataset(path, version, isV2, articles);
    }

    private static List<SquadArticle> ReadOfficial(string path, JsonElement data)
    {
        var articles = new List<SquadArticle>();
        foreach (var article in data.EnumerateArray())
        {
            var paragraphs = new List<SquadParagraph>();
            foreach (var paragraph in Property(path, article, "paragraphs").EnumerateArray())
            {
                var questions = new List<SquadQuestion>();
                foreach (var qa in Property(path, paragraph, "qas").EnumerateArray())
                {
                    var answers = Property(path, qa, "answers").EnumerateArray()
                        .Select(a => new SquadAnswer(Text(path, a, "text"), Property(path, a, "answer_start").GetInt32())).ToList();
                    var impossible = qa.TryGetProperty("is_impossible", out var flag) ? flag.GetBoolean() : answers.Count == 0;
                    questions.Add(new SquadQuestion(Text(path, qa, "id"), Text(path, qa, "question"), answers, impossible));
                }
                paragraphs.Add(new SquadParagraph(Text(path, paragraph, "context"), questions));
            }
            var title = article.TryGetProperty("title", out var t) && t.ValueKind == JsonValueKind.String ? t.GetString()! : "";
            articles.Add(new SquadArticle(title, paragraphs));
        }
        return articles;
    }

    private static List<SquadArticle> ReadFlat(string path, JsonElement data)
    {
        var paragraphs = new List<SquadParagraph>();
        string? context = null;
        List<SquadQuestion>? questions = null;
        foreach (var row in data.EnumerateArray())
        {
            var rowContext = Text(path, row, "context");
            if (rowContext != context)
            {
                if (context is not null) paragraphs.Add(new SquadParagraph(context, questions!));
                context = rowContext;
                questions = [];
            }
            var answers = Property(path, row, "answers");
            var texts = Property(path, answers, "text").EnumerateArray().Select(x => x.GetString()!).ToList();
            var starts = Property(path, answers, "answer_start").EnumerateArray().Select(x => x.GetInt32()).ToList();
            if (texts.Count != starts.Count) throw new InvalidDataException($"{path}: question {Text(path, row, "id")} has {texts.Count} answer texts but {starts.Count} starts");
            questions!.Add(new SquadQuestion(Text(path, row, "id"), Text(path, row, "question"),
                texts.Zip(starts, (text, start) => new SquadAnswer(text, start)).ToList(), texts.Count == 0));
        }
        if (context is not null) paragraphs.Add(new SquadParagraph(context, questions!));
        return [new SquadArticle("", paragraphs)];
    }

    private static JsonElement Property(string path, JsonElement element, string name) =>
        element.ValueKind == JsonValueKind.Object && element.TryGetProperty(name, out var value)
            ? value
            : throw new InvalidDataException($"{path}: a SQuAD entry has no \"{name}\"");

    private static string Text(string path, JsonElement element, string name) =>
        Property(path, element, name) is { ValueKind: JsonValueKind.String } value
            ? value.GetString()!
            : throw new InvalidDataException($"{path}: \"{name}\" is not a string");
}
