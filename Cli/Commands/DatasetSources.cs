using System.IO.Compression;
using System.Security.Cryptography;

namespace ElectraLab.Cli.Commands;

/// <summary>What `data download` fetches for each dataset, and how each download becomes the standard layout.</summary>
public static class DatasetSources
{
    private const string GlueBase = "https://dl.fbaipublicfiles.com/glue/data/";
    private const string SquadBase = "https://rajpurkar.github.io/SQuAD-explorer/dataset/";

    public static readonly IReadOnlyList<DownloadSource> Glue =
    [
        new(new Uri(GlueBase + "CoLA.zip"), "CoLA.zip"),
        new(new Uri(GlueBase + "SST-2.zip"), "SST-2.zip"),
        new(new Uri(GlueBase + "QQP-clean.zip"), "QQP-clean.zip"),
        new(new Uri(GlueBase + "STS-B.zip"), "STS-B.zip"),
        new(new Uri(GlueBase + "MNLI.zip"), "MNLI.zip"),
        new(new Uri(GlueBase + "QNLIv2.zip"), "QNLIv2.zip"),
        new(new Uri(GlueBase + "RTE.zip"), "RTE.zip"),
        new(new Uri(GlueBase + "WNLI.zip"), "WNLI.zip"),
        new(new Uri("https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_train.txt"), "msr_paraphrase_train.txt"),
        new(new Uri("https://dl.fbaipublicfiles.com/senteval/senteval_data/msr_paraphrase_test.txt"), "msr_paraphrase_test.txt"),
        new(new Uri("https://firebasestorage.googleapis.com/v0/b/mtl-sentence-representations.appspot.com/o/data%2Fmrpc_dev_ids.tsv?alt=media&token=ec5c0836-31d5-48f4-b431-7480817f1adc"),
            "mrpc_dev_ids.tsv"),
    ];

    public static readonly IReadOnlyList<DownloadSource> Squad =
    [
        new(new Uri(SquadBase + "train-v1.1.json"), "train-v1.1.json"),
        new(new Uri(SquadBase + "dev-v1.1.json"), "dev-v1.1.json", "95aa6a52d5d6a735563366753ca50492a658031da74f301ac5238b03966972c9"),
        new(new Uri(SquadBase + "train-v2.0.json"), "train-v2.0.json"),
        new(new Uri(SquadBase + "dev-v2.0.json"), "dev-v2.0.json"),
    ];

    /// <summary>Extracted GLUE files whose bytes are known (byte-identical copies in ../shared/data, see PROVENANCE.md).</summary>
    public static readonly IReadOnlyDictionary<string, string> KnownGlueFiles = new Dictionary<string, string>
    {
        ["CoLA/train.tsv"] = "cb368ebeb9f27d7ad03720d27ddc95687a311bdb100781a2fe59a5f5b1bc0624",
        ["CoLA/dev.tsv"] = "8c013e21dc39957cac37378d87bebe225b694a0d5fe13eded66c2856628833fd",
        ["SST-2/dev.tsv"] = "54a9c12c77e402fc14d6a66a506f24d999f596b0176eb777c972cccc2f9cc4b0",
        ["MRPC/train.tsv"] = "122becc469405bc16f9defcb8715d2a4b7ce600e9d9381e6dc42bfdd1494c51d",
        ["MRPC/dev.tsv"] = "81c8a1a9e1dfe461dd2c1a4f98f43fe18bece44d2bf9e3d0b245b88e5aa5eaf7",
        ["STS-B/train.tsv"] = "41c4d978b6162abdcada7e49a982211954cca5459c228db478af333124b257a2",
        ["STS-B/dev.tsv"] = "fe7dc0632a5033562f3cadff991f6e8d9b9b6311861660e78c3c82eb7db67f59",
        ["RTE/dev.tsv"] = "80230dfa1347282e7b532b06a1004a76a710087541189bf874223ddf0e3819fb",
        ["WNLI/dev.tsv"] = "cba00490596dd14be8cf53b4f53bb744abe3a7b89f81ab210528d80225338ed5",
    };

    public static IReadOnlyList<DownloadSource> For(string dataset) => dataset.ToLowerInvariant() switch
    {
        "glue" => Glue,
        "squad" => Squad,
        _ => throw new UserInputException($"unknown dataset '{dataset}' (expected glue or squad)"),
    };

    /// <summary>Downloads every source into <paramref name="folder"/>/downloads, then lays GLUE out as task folders.</summary>
    public static void Install(IReadOnlyList<DownloadSource> sources, string folder, ResumableDownloader downloader, TextWriter log)
    {
        var isGlue = ReferenceEquals(sources, Glue);
        var downloads = isGlue ? Path.Combine(folder, "downloads") : folder;
        Directory.CreateDirectory(downloads);
        var sums = new ChecksumFile(Path.Combine(folder, "SHA256SUMS"));
        foreach (var source in sources)
        {
            var path = downloader.Download(source, downloads);
            sums.Verify(source.FileName, ResumableDownloader.Sha256Of(path));
        }
        sums.Save();
        if (!isGlue) return;
        foreach (var zip in sources.Where(s => s.FileName.EndsWith(".zip", StringComparison.Ordinal)))
            ZipFile.ExtractToDirectory(Path.Combine(downloads, zip.FileName), folder, overwriteFiles: true);
        Mrpc.Build(downloads, Path.Combine(folder, "MRPC"));
        foreach (var (relative, sha) in KnownGlueFiles)
        {
            var actual = ResumableDownloader.Sha256Of(Path.Combine(folder, relative));
            if (actual != sha) throw new InvalidDataException($"{relative}: sha256 {actual} is not the known GLUE file {sha}");
        }
        log.WriteLine($"GLUE ready in {folder}");
    }
}
