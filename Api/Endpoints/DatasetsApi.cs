using ElectraLab.Api.Auth;
using ElectraLab.Config.Pretraining;
using ElectraLab.Storage.Datasets;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.Extensions.Options;

namespace ElectraLab.Api.Endpoints;

public sealed record DatasetView(string Name, string Sha256, string Reference, long Bytes, long Examples, long Tokens, int MaxSeqLength,
    bool LowerCase, string VocabSha256, int VocabSize, DateTimeOffset CreatedAt)
{
    public static DatasetView Of(DatasetInfo d) => new(d.Name, d.Sha256, d.Reference, d.Bytes, d.Examples, d.Tokens, d.MaxSeqLength,
        d.LowerCase, d.VocabSha256, d.VocabSize, d.CreatedAt);
}

public sealed record DatasetPushed(DatasetView Dataset, bool Created);

/// <summary>
/// Datasets as shared artifacts: a team pushes a prepared dataset (a tar, as `electralab data push` packs it) under a
/// name; the cluster stores its canonical form content-addressed, and sweeps name it as "dataset: NAME" instead of a
/// folder every silo would need on its own disk.
/// </summary>
public static class DatasetsApi
{
    public static RouteGroupBuilder MapDatasetsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/datasets").WithTags("Datasets").RequireAuthorization(Caller.TeamPolicy);
        group.MapGet("/", ListAsync).WithName("ListDatasets").WithSummary("The team's datasets, newest version of each name first");
        group.MapGet("/{name}", VersionsAsync).WithName("ListDatasetVersions").WithSummary("Every version of one dataset, newest first");
        group.MapPost("/{name}", PushAsync).WithName("PushDataset")
            .WithSummary("Store a prepared dataset (application/x-tar: dataset.json, vocab.txt and the shards it names, at the tar's root); " +
                         "pushing a version that is already stored stores nothing and answers 200")
            .Accepts<Stream>("application/x-tar");
        return group;
    }

    public static async Task<Ok<IReadOnlyList<DatasetView>>> ListAsync(HttpContext context, DatasetStore store, CancellationToken cancellationToken) =>
        TypedResults.Ok<IReadOnlyList<DatasetView>>((await store.ListAsync(Caller.From(context.User).Team, null, cancellationToken))
            .Select(DatasetView.Of).ToList());

    public static async Task<Results<Ok<IReadOnlyList<DatasetView>>, NotFound>> VersionsAsync(string name, HttpContext context,
        DatasetStore store, CancellationToken cancellationToken)
    {
        var versions = await store.ListAsync(Caller.From(context.User).Team, name, cancellationToken);
        return versions.Count == 0 ? TypedResults.NotFound() : TypedResults.Ok<IReadOnlyList<DatasetView>>(versions.Select(DatasetView.Of).ToList());
    }

    /// <summary>
    /// The upload is spooled to a temporary file (bounded by MaxDatasetBytes), unpacked file by file with every entry
    /// checked (plain names only: nothing can land outside the scratch folder), described and checked like a local
    /// dataset, then packed again canonically, so the hash is the content's whatever tool made the tar.
    /// </summary>
    public static async Task<Results<Created<DatasetPushed>, Ok<DatasetPushed>, ValidationProblem, ProblemHttpResult>> PushAsync(
        string name, HttpRequest request, DatasetStore store, IOptions<ApiOptions> options, CancellationToken cancellationToken)
    {
        if (!DatasetReference.IsValidName(name))
            return ApiProblems.Field("name", "must be letters, digits, '-', '_' or '.', up to 100, starting with a letter or digit");
        var limit = options.Value.MaxDatasetBytes;
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size) size.MaxRequestBodySize = limit;
        if (request.ContentLength > limit) return TooLarge(limit);

        var scratch = Path.Combine(Path.GetTempPath(), $"electralab-push-{Guid.NewGuid():N}");
        Directory.CreateDirectory(scratch);
        try
        {
            var upload = Path.Combine(scratch, "upload.tar");
            await using (var target = new FileStream(upload, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                if (!await CopyCappedAsync(request.Body, target, limit, cancellationToken)) return TooLarge(limit);
            }
            var folder = Path.Combine(scratch, "dataset");
            DatasetSummary summary;
            try
            {
                await using (var tar = File.OpenRead(upload)) await DatasetPackage.UnpackAsync(tar, folder, maxEntries: 100_000, cancellationToken);
                File.Delete(upload);
                summary = DatasetPackage.Describe(folder, vocabMayBeOutside: false);
            }
            catch (Exception e) when (e is InvalidDataException or FormatException or EndOfStreamException)
            {
                return ApiProblems.Field("body", e.Message, "The dataset cannot be stored.");
            }
            var canonical = Path.Combine(scratch, "canonical.tar");
            string sha256;
            await using (var target = new FileStream(canonical, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                sha256 = await DatasetPackage.WriteAsync(folder, target, vocabMayBeOutside: false, cancellationToken);
            }
            Directory.Delete(folder, recursive: true);
            await using var content = new FileStream(canonical, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            var caller = Caller.From(request.HttpContext.User);
            var (info, created) = await store.StoreAsync(caller.Team, name, sha256, summary, content, caller.UserId, cancellationToken);
            var pushed = new DatasetPushed(DatasetView.Of(info), created);
            return created ? TypedResults.Created($"/api/datasets/{name}", pushed) : TypedResults.Ok(pushed);
        }
        finally
        {
            try { Directory.Delete(scratch, recursive: true); }
            catch (IOException) { }
        }
    }

    private static ProblemHttpResult TooLarge(long limit) =>
        TypedResults.Problem(statusCode: StatusCodes.Status413PayloadTooLarge, title: "Dataset too large",
            detail: $"A dataset may be at most {limit:N0} bytes (ElectraLab:Api:MaxDatasetBytes).");

    private static async Task<bool> CopyCappedAsync(Stream source, Stream target, long limit, CancellationToken cancellationToken)
    {
        var buffer = new byte[1 << 20];
        long total = 0;
        int read;
        while ((read = await source.ReadAsync(buffer, cancellationToken)) > 0)
        {
            total += read;
            if (total > limit) return false;
            await target.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
        }
        return true;
    }
}
