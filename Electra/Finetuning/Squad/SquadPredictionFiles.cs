// The official SQuAD output files: predictions.json ({id: answer text}) and, for 2.0, na_probs.json
// ({id: null odds}), both in question order. The scorer applies --na-prob-thresh to the odds itself, so
// predictions.json may hold the best non-null answers (ELECTRA's convention) or already-thresholded ones.
using System.Text.Encodings.Web;
using System.Text.Json;
using ElectraLab.Config;

namespace ElectraLab.Electra.Finetuning.Squad;

public static class SquadPredictionFiles
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        // Answers are quoted text from Wikipedia; keep it readable (é, not \u00e9), as json.dump(ensure_ascii=False) would.
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static Dictionary<string, string> BestNonNull(IReadOnlyList<SquadAnswerPrediction> predictions) =>
        predictions.ToDictionary(p => p.Id, p => p.BestText, StringComparer.Ordinal);

    public static List<KeyValuePair<string, double>> NullOdds(IReadOnlyList<SquadAnswerPrediction> predictions) =>
        predictions.Select(p => new KeyValuePair<string, double>(p.Id,
            p.NullOdds ?? throw new InvalidOperationException($"{p.Id} has no null odds (SQuAD 1.1 decoding)"))).ToList();

    public static void WritePredictions(string path, IReadOnlyDictionary<string, string> answers) =>
        File.WriteAllText(path, JsonSerializer.Serialize(answers, Options));

    public static void WriteNaProbs(string path, IReadOnlyList<SquadAnswerPrediction> predictions) =>
        File.WriteAllText(path, JsonSerializer.Serialize(NullOdds(predictions).ToDictionary(kv => kv.Key, kv => kv.Value), Options));

    /// <summary>nbest_predictions.json: each question's n-best texts with probabilities and scores.</summary>
    public static void WriteNBest(string path, IReadOnlyList<SquadAnswerPrediction> predictions) =>
        File.WriteAllText(path, JsonSerializer.Serialize(predictions.ToDictionary(p => p.Id, p => p.NBest.Select(c => new
        {
            text = c.Text, probability = c.Probability, start_log_prob = c.StartLogProb, end_log_prob = c.EndLogProb,
        }).ToList()), Options));

    /// <summary>Reads predictions.json: an object of question id to answer text.</summary>
    public static Dictionary<string, string> ReadPredictions(string path)
    {
        var root = ReadObject(path);
        var answers = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var property in root.EnumerateObject())
            answers[property.Name] = property.Value.ValueKind == JsonValueKind.String
                ? property.Value.GetString()!
                : throw new InvalidDataException($"{path}: the answer for {property.Name} is not a string");
        return answers;
    }

    /// <summary>Reads na_probs.json in file order (the order breaks threshold ties, as in the official scorer).</summary>
    public static List<KeyValuePair<string, double>> ReadNaProbs(string path)
    {
        var root = ReadObject(path);
        return root.EnumerateObject().Select(p => new KeyValuePair<string, double>(p.Name, p.Value.ValueKind == JsonValueKind.Number && p.Value.TryGetDouble(out var odds)
            ? odds
            : throw new InvalidDataException($"{path}: the value for {p.Name} is not a number"))).ToList();
    }

    private static JsonElement ReadObject(string path)
    {
        using var document = JsonFiles.ParseDocument(path);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{path}: expected a JSON object of question id -> value");
        return document.RootElement.Clone();
    }
}
