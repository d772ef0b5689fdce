// `electralab report <sweep> --out DIR`: a sweep's report as Markdown with SVG figures, and the results.json it was
// made from; `electralab report --from results.json --out DIR` makes the same files again from that file alone.
using System.CommandLine;
using System.Text;
using System.Text.Json;
using ElectraLab.Reports;
using ElectraLab.Storage.Queries;

namespace ElectraLab.Cli.Commands.Client;

public static class ReportCommand
{
    /// <summary>How results.json is written and read: the API's own JSON (camelCase), indented, "\n" line ends.</summary>
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };

    public static Command Create()
    {
        var options = new ClientOptions();
        var sweep = new Argument<Guid?>("sweep") { Description = "The sweep to report on (omit with --from).", Arity = ArgumentArity.ZeroOrOne };
        var from = new Option<FileInfo>("--from") { Description = "Make the report from a saved results.json instead of the server." };
        var output = new Option<string>("--out") { Description = "The folder to write report.md, its SVG figures and results.json into.", Required = true };
        var command = new Command("report", "A sweep's report: per-arm medians with 95% intervals, the paper's numbers, compute curves, findings.")
        {
            sweep, from, output,
        };
        options.AddTo(command);
        ClientOptions.SetAction(command, async (parse, cancellation) =>
        {
            var console = parse.InvocationConfiguration.Output;
            var folder = Path.GetFullPath(parse.GetValue(output)!);
            SweepResultsExport results;
            if (parse.GetValue(from) is { } file)
            {
                if (parse.GetValue(sweep) is not null) throw new UserInputException("give a sweep or --from, not both");
                results = Read(file.FullName);
            }
            else
            {
                var id = parse.GetValue(sweep) ?? throw new UserInputException("give the sweep to report on, or --from results.json");
                using var client = options.Connect(parse);
                var node = await client.GetAsync($"api/sweeps/{id}/results", cancellation);
                results = node.Deserialize<SweepResultsExport>(Json) ?? throw new ClientException("the server sent no results");
            }
            ReportDocument document;
            try { document = SweepReport.Build(results); }
            catch (InvalidDataException e) { throw new UserInputException(e.Message); }
            var (markdown, figures) = MarkdownReport.Render(document);
            Directory.CreateDirectory(folder);
            var resultsFile = Path.Combine(folder, "results.json");
            if (parse.GetValue(from) is not { } source || !SameFile(source.FullName, resultsFile))
                await File.WriteAllTextAsync(resultsFile, JsonSerializer.Serialize(results, Json).ReplaceLineEndings("\n") + "\n", cancellation);
            await File.WriteAllTextAsync(Path.Combine(folder, "report.md"), markdown, new UTF8Encoding(false), cancellation);
            foreach (var (name, svg) in figures) await File.WriteAllTextAsync(Path.Combine(folder, name), svg, new UTF8Encoding(false), cancellation);
            console.WriteLine($"{document.Title}: {Path.Combine(folder, "report.md")} ({figures.Count} figure(s)), results in {resultsFile}");
            foreach (var finding in Findings.Test(SweepArms.Group(results), SweepArms.Axes(results))) console.WriteLine($"  {finding.Sentence}");
        });
        return command;
    }

    private static SweepResultsExport Read(string path)
    {
        if (!File.Exists(path)) throw new UserInputException($"--from {path}: no such file");
        try
        {
            return JsonSerializer.Deserialize<SweepResultsExport>(File.ReadAllText(path), Json)
                ?? throw new UserInputException($"--from {path}: empty");
        }
        catch (JsonException e)
        {
            throw new UserInputException($"--from {path}: not a results.json ({e.Message.Split(" LineNumber:")[0]})");
        }
    }

    private static bool SameFile(string a, string b) => string.Equals(Path.GetFullPath(a), Path.GetFullPath(b), StringComparison.Ordinal);
}
