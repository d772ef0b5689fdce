// GLUE submission files: a header `index<TAB>prediction`, then one row per example in data-file order, with
// labels written as the dataset writes them ("entailment", "1") and STS-B scores as decimal numbers.
using System.Globalization;
using ElectraLab.Config.Finetuning.Glue;

namespace ElectraLab.Electra.Finetuning.Glue;

public sealed record GluePrediction(string Index, string Prediction);

public static class GlueSubmission
{
    public const string Header = "index\tprediction";

    public static IReadOnlyList<GluePrediction> Read(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"{path}: no such file", path);
        var rows = new List<GluePrediction>();
        using var reader = new StreamReader(path, System.Text.Encoding.UTF8, detectEncodingFromByteOrderMarks: true);
        var header = reader.ReadLine();
        if (header is null) throw new InvalidDataException($"{path}: empty file, expected the header '{Header.Replace("\t", "<TAB>")}'");
        if (!string.Equals(header.TrimEnd(), Header, StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{path}: header is '{header.Replace("\t", "<TAB>")}', expected '{Header.Replace("\t", "<TAB>")}'");
        var line = 1;
        while (reader.ReadLine() is { } text)
        {
            line++;
            if (text.Length == 0) continue;
            var fields = text.Split('\t');
            if (fields.Length != 2)
                throw new InvalidDataException($"{path}: line {line} has {fields.Length} columns, expected 2 (index, prediction)");
            rows.Add(new GluePrediction(fields[0], fields[1]));
        }
        return rows;
    }

    /// <summary>Writes one row per example (same order) with its index; format predictions with <see cref="Format(GlueTask, int)"/>.</summary>
    public static void Write(string path, IReadOnlyList<GlueExample> examples, IReadOnlyList<string> predictions)
    {
        if (examples.Count != predictions.Count)
            throw new ArgumentException($"{predictions.Count} predictions for {examples.Count} examples");
        using var writer = new StreamWriter(path, append: false, new System.Text.UTF8Encoding(false));
        writer.NewLine = "\n";
        writer.WriteLine(Header);
        for (var i = 0; i < examples.Count; i++) writer.WriteLine($"{examples[i].Index}\t{predictions[i]}");
    }

    /// <summary>The submission text of a class id (classification) or a score (STS-B).</summary>
    public static string Format(GlueTask task, int labelId) => task.Labels[labelId];

    public static string Format(double score) => score.ToString("0.000", CultureInfo.InvariantCulture);
}
