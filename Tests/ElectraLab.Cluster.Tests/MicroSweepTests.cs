using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

/// <summary>A real sweep end to end: grid × seeds of a micro ELECTRA, pre-trained and evaluated on GLUE MRPC.</summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class MicroSweepTests(PostgresDatabase database, ITestOutputHelper output) : IClassFixture<PostgresDatabase>
{
    [SkippableFact]
    public async Task GridSweep_TwoByTwoWithTwoSeeds_PretrainsAndEvaluatesEveryExperiment()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 2);
        var (sweep, submission) = await platform.SubmitAsync($$"""
            name: micro-grid
            team: nlp
            base: {{TestData.MicroConfig(steps: 6).ToJsonString()}}
            search:
              method: grid
              grid:
                generator_hidden_size: [0.25, 0.5]
                mask_prob: [0.15, 0.25]
            seeds:
              pretraining: [1, 2]
              finetuning: [1]
            evaluation:
              glue: [MRPC]
              finetune: {max_train_examples: 32, num_train_epochs: 1, train_batch_size: 16, eval_batch_size: 64, max_seq_length: 32}
            checkpoints: {interval: 3, keep_last: 1}
            """);
        Assert.Equal(8, submission.ExperimentIds.Length);

        var status = await platform.WaitForSweepAsync(sweep, TimeSpan.FromMinutes(3));

        foreach (var e in status.Experiments)
        {
            output.WriteLine($"{e.Name}: {e.State} step {e.Step} {e.Reason}");
        }
        Assert.Equal(SweepStatus.Completed, status.State);
        Assert.All(status.Experiments, e =>
        {
            Assert.Equal(ExperimentState.Completed, e.State);
            Assert.Equal(6, e.Step);
            Assert.Contains(e.Jobs, j => j.Kind == JobKind.Pretrain && j.State == JobState.Succeeded);
            Assert.Contains(e.Jobs, j => j.Kind == JobKind.FinetuneEval && j.Task == "mrpc" && j.CheckpointStep == 6 && j.State == JobState.Succeeded);
        });

        var ids = submission.ExperimentIds;
        // Every experiment: one row per (metric, step) at steps 2, 4, 6; a final checkpoint (retention kept one);
        // an MRPC accuracy per fine-tuning seed; and its leaderboard row.
        Assert.Equal(8L * TestData.ElectraMetricsPerLog * 3, await database.ScalarAsync<long>("SELECT count(*) FROM metrics WHERE experiment_id = ANY($1)", ids));
        Assert.Equal(8L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM checkpoints WHERE experiment_id = ANY($1) AND kind = 'training-state' AND step = 6", ids));
        Assert.Equal(8L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM checkpoints WHERE experiment_id = ANY($1) AND kind = 'training-state'", ids));
        Assert.Equal(8L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM evaluation_results WHERE experiment_id = ANY($1) AND task = 'mrpc' AND metric = 'accuracy'", ids));
        Assert.Equal(8L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM experiments WHERE id = ANY($1) AND status = 'completed'", ids));
        Assert.Equal(16L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM jobs WHERE experiment_id = ANY($1) AND status = 'succeeded'", ids));
        Assert.Equal("completed", await database.ScalarAsync<string>("SELECT status FROM sweeps WHERE id = $1", submission.SweepId));

        // Every finished pre-training job left its models as Hugging Face folders (an hf-export checkpoint at the last
        // step): model files and the tokenizer it trained with, for the discriminator and the generator.
        Assert.Equal(8L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM checkpoints WHERE experiment_id = ANY($1) AND kind = 'hf-export' AND step = 6", ids));
        var store = new Storage.Checkpoints.CheckpointStore(database.DataSource, new Storage.StorageOptions { ConnectionString = database.ConnectionString });
        var export = (await store.ListAsync(ids[0])).Single(c => c.Kind == Storage.Entities.Checkpoint.HuggingFace);
        var names = new List<string>();
        await using (var tar = await store.OpenReadAsync(export.Id))
        {
            using var reader = new System.Formats.Tar.TarReader(tar);
            while (reader.GetNextEntry() is { } entry) names.Add(entry.Name);
        }
        foreach (var model in new[] { "discriminator", "generator" })
        {
            foreach (var file in new[] { "config.json", "model.safetensors", "vocab.txt", "tokenizer_config.json", "special_tokens_map.json" })
                Assert.Contains($"{model}/{file}", names);
        }

        // Every evaluation kept its median seed's fine-tuned model: an MRPC classifier with its labels.
        Assert.Equal(8L, await database.ScalarAsync<long>(
            "SELECT count(*) FROM checkpoints WHERE experiment_id = ANY($1) AND kind = 'hf-finetuned:mrpc' AND step = 6", ids));
        var finetuned = (await store.ListAsync(ids[0])).Single(c => c.Kind == "hf-finetuned:mrpc");
        var files = new Dictionary<string, string>();
        await using (var tar = await store.OpenReadAsync(finetuned.Id))
        {
            using var reader = new System.Formats.Tar.TarReader(tar);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.Name == "config.json" && entry.DataStream is { } data) files[entry.Name] = new StreamReader(data).ReadToEnd();
                else files[entry.Name] = "";
            }
        }
        Assert.Contains("model.safetensors", files.Keys);
        Assert.Contains("vocab.txt", files.Keys);
        Assert.Contains("ElectraForSequenceClassification", files["config.json"]);
        Assert.Contains("id2label", files["config.json"]);

        // The slots were visible in the cluster: both of the silo's CPU slots.
        var snapshot = await platform.Client.GetGrain<ISchedulerGrain>(ISchedulerGrain.DefaultKey).GetSnapshotAsync();
        Assert.Equal(2, snapshot.Slots.Length);
        Assert.All(snapshot.Slots, s => Assert.Equal("cpu", s.Device));
        Assert.Equal(16, snapshot.Dispatched);
    }

    [SkippableFact]
    public async Task KeepAllSeeds_StoresEverySeedsFineTunedModel_BesideTheMedians()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 1);
        var (sweep, submission) = await platform.SubmitAsync($$"""
            name: keep-all
            team: nlp
            base: {{TestData.MicroConfig(steps: 4).ToJsonString()}}
            seeds:
              finetuning: [1, 2, 3]
            evaluation:
              glue: [MRPC]
              keep_all_seeds: true
              finetune: {max_train_examples: 32, num_train_epochs: 1, train_batch_size: 16, eval_batch_size: 64, max_seq_length: 32}
            """);
        var status = await platform.WaitForSweepAsync(sweep, TimeSpan.FromMinutes(3));
        Assert.Equal(SweepStatus.Completed, status.State);
        var id = Assert.Single(submission.ExperimentIds);

        var store = new Storage.Checkpoints.CheckpointStore(database.DataSource, new Storage.StorageOptions { ConnectionString = database.ConnectionString });
        var kept = (await store.ListAsync(id)).Where(c => c.Kind.StartsWith("hf-finetuned:", StringComparison.Ordinal)).ToList();
        Assert.Equal(["hf-finetuned:mrpc", "hf-finetuned:mrpc.seed-1", "hf-finetuned:mrpc.seed-2", "hf-finetuned:mrpc.seed-3"],
            kept.Select(c => c.Kind).Order(StringComparer.Ordinal));
        Assert.All(kept, c => Assert.Equal(4, c.Step));

        // The median's model is one of the seeds' models, byte for byte; the seeds' differ from each other.
        var weights = new Dictionary<string, string>();
        foreach (var checkpoint in kept)
        {
            await using var tar = await store.OpenReadAsync(checkpoint.Id);
            using var reader = new System.Formats.Tar.TarReader(tar);
            while (reader.GetNextEntry() is { } entry)
            {
                if (entry.Name != "model.safetensors" || entry.DataStream is not { } data) continue;
                weights[checkpoint.Kind] = Convert.ToHexString(System.Security.Cryptography.SHA256.HashData(data));
            }
        }
        Assert.Equal(4, weights.Count);
        Assert.Equal(3, weights.Where(w => w.Key.Contains(".seed-")).Select(w => w.Value).Distinct().Count());
        Assert.Contains(weights["hf-finetuned:mrpc"], weights.Where(w => w.Key.Contains(".seed-")).Select(w => w.Value));
    }
}
