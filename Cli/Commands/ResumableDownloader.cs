using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;

namespace ElectraLab.Cli.Commands;

/// <summary>
/// Downloads to <c>name.part</c> and renames when complete. A rerun after an interruption asks the server for the
/// rest with an HTTP Range request and appends it; a server that ignores the range (200) restarts the file. A
/// source with a known sha256 is verified before the rename; a complete file already there is checked and kept.
/// </summary>
public sealed class ResumableDownloader(HttpClient http, TextWriter log)
{
    private readonly HttpClient _http = http;
    private readonly TextWriter _log = log;

    public string Download(DownloadSource source, string folder)
    {
        var target = Path.Combine(folder, source.FileName);
        if (File.Exists(target))
        {
            CheckKnown(source, target);
            _log.WriteLine($"{source.FileName}: already downloaded");
            return target;
        }
        var partial = target + ".part";
        var have = File.Exists(partial) ? new FileInfo(partial).Length : 0;
        using var request = new HttpRequestMessage(HttpMethod.Get, source.Url);
        if (have > 0) request.Headers.Range = new RangeHeaderValue(have, null);
        using var response = _http.Send(request, HttpCompletionOption.ResponseHeadersRead);
        if (response.StatusCode == HttpStatusCode.RequestedRangeNotSatisfiable && have > 0)
        {
            // The part file already holds the whole resource.
        }
        else
        {
            if (!response.IsSuccessStatusCode)
                throw new InvalidDataException($"{source.Url}: HTTP {(int)response.StatusCode} {response.ReasonPhrase}");
            var resuming = response.StatusCode == HttpStatusCode.PartialContent && have > 0;
            if (resuming && response.Content.Headers.ContentRange?.From is { } from && from != have)
                throw new InvalidDataException($"{source.Url}: asked to resume at byte {have}, the server answered from {from}");
            _log.WriteLine(resuming ? $"{source.FileName}: resuming at {have:N0} bytes" : $"{source.FileName}: downloading");
            using var body = response.Content.ReadAsStream();
            using var file = new FileStream(partial, resuming ? FileMode.Append : FileMode.Create, FileAccess.Write);
            body.CopyTo(file);
        }
        CheckKnown(source, partial);
        File.Move(partial, target, overwrite: true);
        return target;
    }

    public static string Sha256Of(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    private static void CheckKnown(DownloadSource source, string path)
    {
        if (source.Sha256 is null) return;
        var actual = Sha256Of(path);
        if (actual == source.Sha256) return;
        // A corrupt part file must not be resumed again: remove it so the next run starts over.
        if (path.EndsWith(".part", StringComparison.Ordinal)) File.Delete(path);
        throw new InvalidDataException($"{source.FileName}: sha256 {actual} does not match the expected {source.Sha256}");
    }
}
