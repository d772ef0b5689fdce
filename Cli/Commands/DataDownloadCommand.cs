// `electralab data download glue|squad --out <dir>`: fetch GLUE or SQuAD from the official sources, resumably,
// and verify what arrives. GLUE comes from the URLs of download_glue_data.py (one zip per task; MRPC rebuilt
// from the SentEval copies of the MSR corpus and GLUE's dev_ids.tsv exactly as that script splits it); SQuAD
// from rajpurkar.github.io. Verification: files whose GLUE/SQuAD bytes are known (../shared/data/MANIFEST.json
// holds byte-identical copies) must match those sha256s; every archive's sha256 is recorded in
// <out>/SHA256SUMS on first download and must match it on every later run (trust on first use, since the
// sources publish no checksums).
using System.CommandLine;

namespace ElectraLab.Cli.Commands;

public static class DataDownloadCommand
{
    public static Command Create()
    {
        var dataset = new Argument<string>("dataset") { Description = "glue or squad." };
        var output = new Option<DirectoryInfo>("--out") { Description = "Folder to download into (GLUE task folders or SQuAD JSON files land here).", Required = true };
        var command = new Command("download", "Download GLUE or SQuAD from the official sources, resumably, with checksum verification.") { dataset, output };
        command.SetAction(parse =>
        {
            var sources = DatasetSources.For(parse.GetRequiredValue(dataset));
            var folder = parse.GetRequiredValue(output).FullName;
            using var http = new HttpClient { Timeout = TimeSpan.FromMinutes(30) };
            var downloader = new ResumableDownloader(http, parse.InvocationConfiguration.Output);
            DatasetSources.Install(sources, folder, downloader, parse.InvocationConfiguration.Output);
            return 0;
        });
        return command;
    }
}
