using System.Formats.Tar;
using ElectraLab.Api.Auth;
using ElectraLab.Config.Pretraining;
using ElectraLab.Storage;
using ElectraLab.Storage.Checkpoints;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;

namespace ElectraLab.Api.Endpoints;

/// <summary>
/// A model an experiment can hand on: <see cref="Name"/> is "discriminator@600" (model at step) or, for a fine-tuned
/// model, "sst2@600" (task at the pre-training step it was fine-tuned from).
/// </summary>
public sealed record ModelView(string Name, string Model, long Step, long CheckpointBytes, DateTimeOffset CreatedAt, string Download);

/// <summary>
/// Models out of the cluster: each hf-export checkpoint (the Hugging Face folders a finished pre-training job stores)
/// as its discriminator and, where the objective has one, its generator; one model's folder streams as a tar.
/// </summary>
public static class ModelsApi
{
    public static RouteGroupBuilder MapModelsApi(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/experiments").WithTags("Models").RequireAuthorization(Caller.TeamPolicy);
        group.MapGet("/{id:guid}/models", ListAsync).WithName("ListModels")
            .WithSummary("The experiment's exportable models (discriminator and generator at each exported step)");
        group.MapGet("/{id:guid}/models/{name}/hf", DownloadAsync).WithName("DownloadModel")
            .WithSummary("One model as a Hugging Face folder in a tar (config.json, model.safetensors, vocab.txt, tokenizer files); " +
                         "name is model@step, or the model alone for its latest step")
            .Produces(StatusCodes.Status200OK, contentType: "application/x-tar");
        return group;
    }

    public static async Task<Results<Ok<IReadOnlyList<ModelView>>, NotFound>> ListAsync(Guid id, HttpContext context, CheckpointStore store,
        IDbContextFactory<ElectraLabDbContext> dbs, CancellationToken cancellationToken)
    {
        var models = await ModelsOfAsync(id, Caller.From(context.User).Team, store, dbs, cancellationToken);
        return models is null ? TypedResults.NotFound() : TypedResults.Ok<IReadOnlyList<ModelView>>(models.Select(m => m.View).ToList());
    }

    public static async Task<Results<PushStreamHttpResult, NotFound>> DownloadAsync(Guid id, string name, HttpContext context,
        CheckpointStore store, IDbContextFactory<ElectraLabDbContext> dbs, CancellationToken cancellationToken)
    {
        var models = await ModelsOfAsync(id, Caller.From(context.User).Team, store, dbs, cancellationToken);
        var model = models?.Where(m => m.View.Name == name || m.View.Model == name).MaxBy(m => m.View.Step);
        if (model is null) return TypedResults.NotFound();
        var (view, checkpointId) = model.Value;
        // A pre-training export holds every model's folder; this one's files are copied out with their folder prefix removed,
        // entry by entry. A tar writer needs each entry's length before its data, which an entry read from an unseekable
        // stream cannot give it on an unseekable response, so each file passes through a temporary file, never memory.
        return TypedResults.Stream(async body =>
        {
            await using var source = await store.OpenReadAsync(checkpointId, context.RequestAborted);
            await using var reader = new TarReader(source);
            await using var writer = new TarWriter(body, TarEntryFormat.Pax, leaveOpen: true);
            var prefix = view.Model is "discriminator" or "generator" ? view.Model + "/" : "";
            while (await reader.GetNextEntryAsync(copyData: false, context.RequestAborted) is { } entry)
            {
                if (entry.EntryType != TarEntryType.RegularFile || !entry.Name.StartsWith(prefix, StringComparison.Ordinal)) continue;
                await using var spool = new FileStream(Path.GetTempFileName(), FileMode.Create, FileAccess.ReadWrite, FileShare.None,
                    1 << 16, FileOptions.DeleteOnClose | FileOptions.Asynchronous);
                if (entry.DataStream is { } data) await data.CopyToAsync(spool, context.RequestAborted);
                spool.Position = 0;
                await writer.WriteEntryAsync(new PaxTarEntry(TarEntryType.RegularFile, entry.Name[prefix.Length..]) { DataStream = spool },
                    context.RequestAborted);
            }
        }, "application/x-tar", $"{id:N}-{view.Model}-step{view.Step}.tar");
    }

    private static async Task<List<(ModelView View, Guid CheckpointId)>?> ModelsOfAsync(Guid id, Guid team, CheckpointStore store,
        IDbContextFactory<ElectraLabDbContext> dbs, CancellationToken cancellationToken)
    {
        string? config;
        await using (var db = await dbs.CreateDbContextAsync(cancellationToken))
        {
            config = await db.Experiments.Where(e => e.Id == id && e.TeamId == team).Select(e => e.Config).SingleOrDefaultAsync(cancellationToken);
        }
        if (config is null) return null;
        bool generator;
        try { generator = PretrainingConfigLoader.FromJson(config).ExportsGenerator; }
        catch (Exception e) when (e is ArgumentException or InvalidDataException or System.Text.Json.JsonException)
        {
            generator = false; // a config no job could run has no exports either
        }
        var models = new List<(ModelView, Guid)>();
        var checkpoints = (await store.ListAsync(id, cancellationToken)).OrderByDescending(c => c.Step).ToList();
        // Fine-tuned models: one folder per (task, checkpoint), the whole tar.
        foreach (var checkpoint in checkpoints.Where(c => c.Kind.StartsWith(Storage.Entities.Checkpoint.FinetunedPrefix, StringComparison.Ordinal)))
        {
            var task = checkpoint.Kind[Storage.Entities.Checkpoint.FinetunedPrefix.Length..];
            var name = $"{task}@{checkpoint.Step}";
            models.Add((new ModelView(name, task, checkpoint.Step, checkpoint.Bytes, checkpoint.CreatedAt,
                $"/api/experiments/{id}/models/{Uri.EscapeDataString(name)}/hf"), checkpoint.Id));
        }
        foreach (var checkpoint in checkpoints.Where(c => c.Kind == Storage.Entities.Checkpoint.HuggingFace))
        {
            foreach (var model in generator ? new[] { "discriminator", "generator" } : ["discriminator"])
            {
                var name = $"{model}@{checkpoint.Step}";
                models.Add((new ModelView(name, model, checkpoint.Step, checkpoint.Bytes, checkpoint.CreatedAt,
                    $"/api/experiments/{id}/models/{Uri.EscapeDataString(name)}/hf"), checkpoint.Id));
            }
        }
        return models;
    }
}
