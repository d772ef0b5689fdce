using ElectraLab.Api.Auth;
using ElectraLab.Storage;
using ElectraLab.Storage.Checkpoints;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;

namespace ElectraLab.Api.Endpoints;

/// <summary>Checkpoint downloads, streamed chunk by chunk from PostgreSQL (never buffered whole).</summary>
public static class CheckpointsApi
{
    public static RouteGroupBuilder MapCheckpointsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/checkpoints").WithTags("Checkpoints").RequireAuthorization(Caller.TeamPolicy);
        group.MapGet("/{id:guid}", DownloadAsync).WithName("DownloadCheckpoint")
            .WithSummary("A checkpoint as a tar archive: hf-export holds a Hugging Face model folder (config.json, model.safetensors, vocab.txt)")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-tar");
        return group;
    }

    public static async Task<Results<FileStreamHttpResult, NotFound>> DownloadAsync(Guid id, HttpContext context, CheckpointStore store,
        IDbContextFactory<ElectraLabDbContext> dbs, CancellationToken cancellationToken)
    {
        var caller = Caller.From(context.User);
        var info = await store.GetAsync(id, cancellationToken);
        if (info is null) return TypedResults.NotFound();
        await using (var db = await dbs.CreateDbContextAsync(cancellationToken))
        {
            if (!await db.Experiments.AnyAsync(e => e.Id == info.ExperimentId && e.TeamId == caller.Team, cancellationToken))
                return TypedResults.NotFound();
        }
        var stream = await store.OpenReadAsync(id, cancellationToken);
        var sha = Convert.ToHexStringLower(info.Sha256);
        context.Response.Headers["X-Checkpoint-Sha256"] = sha;
        return TypedResults.Stream(stream, "application/x-tar", $"{info.ExperimentId:N}-step{info.Step}-{info.Kind}.tar",
            entityTag: new EntityTagHeaderValue($"\"{sha}\""));
    }
}
