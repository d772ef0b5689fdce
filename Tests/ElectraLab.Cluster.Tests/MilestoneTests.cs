using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Cluster.Tests;

[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class MilestoneTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    [SkippableFact]
    public async Task FlopMilestone_IsEvaluatedFromItsOwnCheckpoint_BesideTheFinalOne()
    {
        database.SkipIfUnavailable();
        await using var platform = await PlatformCluster.StartAsync(database, cpuSlots: 2);
        var config = TestData.MicroConfig(steps: 6);
        // Crossed during step 3 (the micro model's FLOPs per step are fixed by its shape).
        var milestone = FlopCounter.PerStep(PretrainingConfigLoader.FromJson(config.ToJsonString())) * 2.5;
        var (sweep, submission) = await platform.SubmitAsync($$"""
            name: milestones
            team: nlp
            base: {{config.ToJsonString()}}
            evaluation:
              glue: [MRPC]
              flop_milestones: [{{milestone:R}}]
              finetune: {max_train_examples: 16, num_train_epochs: 1, train_batch_size: 16, eval_batch_size: 64, max_seq_length: 32}
            checkpoints: {interval: 6, keep_last: 1}
            """);
        var status = await platform.WaitForSweepAsync(sweep, TimeSpan.FromMinutes(2));
        var experiment = status.Experiments.Single();
        Assert.Equal(ExperimentState.Completed, experiment.State);
        var evaluations = experiment.Jobs.Where(j => j.Kind == JobKind.FinetuneEval).OrderBy(j => j.CheckpointStep).ToList();
        Assert.Equal([3L, 6L], evaluations.Select(j => j.CheckpointStep!.Value));
        Assert.All(evaluations, j => Assert.Equal(JobState.Succeeded, j.State));
        var id = submission.ExperimentIds.Single();
        Assert.Equal(1L, await database.ScalarAsync<long>("SELECT count(*) FROM checkpoints WHERE experiment_id = $1 AND kind = 'milestone' AND step = 3", id));
        Assert.Equal(2L, await database.ScalarAsync<long>(
            "SELECT count(DISTINCT checkpoint_step) FROM evaluation_results WHERE experiment_id = $1 AND task = 'mrpc'", id));
    }
}
