using System.Text.Json;
using ElectraLab.Storage;
using ElectraLab.Storage.Entities;
using ElectraLab.Storage.Metrics;
using ElectraLab.Storage.Results;
using Npgsql;
using LeaderboardBenchmarks = ElectraLab.Storage.Results.Benchmarks;

namespace ElectraLab.Benchmarks.Api;

/// <summary>
/// What the API bench reads: one team's sweeps of finished experiments, each with its jobs, metric curves and, for
/// most, GLUE results over three fine-tuning seeds (so the leaderboard ranks task sets of several sizes), written
/// through the same Storage paths the silo uses.
/// </summary>
public static class ApiBenchDataset
{
    public const int MetricSteps = 200;

    public static async Task<IReadOnlyList<Guid>> SeedAsync(NpgsqlDataSource dataSource, StorageOptions storage, Guid teamId,
        int experiments, int sweeps, CancellationToken cancellationToken)
    {
        var random = new Random(21);
        var now = DateTimeOffset.UtcNow;
        var ids = new List<Guid>();
        var results = new List<EvaluationResultRow>();
        await using (var db = StorageDataSource.CreateContext(dataSource))
        {
            var sweepRows = Enumerable.Range(0, sweeps).Select(s => new Sweep
            {
                Id = Guid.CreateVersion7(), TeamId = teamId, Name = $"bench-sweep-{s}", Spec = "{}", CreatedAt = now.AddHours(-sweeps + s),
                Status = "completed",
            }).ToList();
            db.Sweeps.AddRange(sweepRows);
            var columns = LeaderboardBenchmarks.For(LeaderboardBenchmarks.Glue).ToList();
            for (var i = 0; i < experiments; i++)
            {
                var objective = i % 3 == 0 ? "mlm" : "electra";
                var generator = new[] { 0.25, 0.5, 1.0 }[i % 3];
                var learningRate = 1e-4 * (1 + random.NextDouble() * 9);
                var experiment = new Experiment
                {
                    Id = Guid.CreateVersion7(), TeamId = teamId, SweepId = sweepRows[i % sweeps].Id, Name = $"bench-{objective}-{i:000}",
                    Config = JsonSerializer.Serialize(new Dictionary<string, object>
                    {
                        ["model_size"] = "small", ["objective"] = objective, ["learning_rate"] = learningRate, ["mask_prob"] = 0.15,
                        ["generator_hidden_size"] = generator, ["train_batch_size"] = 128, ["max_seq_length"] = 128,
                        ["num_train_steps"] = 1_000_000, ["seed"] = i,
                    }),
                    Objective = objective, GeneratorSize = generator, ModelSize = "small", Params = 13_548_800, Seed = i,
                    Status = "completed", Tags = i % 10 == 0 ? ["baseline"] : [], Notes = i % 7 == 0 ? "generator too strong?" : null,
                    TrainFlops = 1e17 * (1 + i % 20), CreatedAt = now.AddMinutes(-experiments + i), UpdatedAt = now,
                };
                db.Experiments.Add(experiment);
                db.Jobs.Add(new Job
                {
                    Id = Guid.CreateVersion7(), ExperimentId = experiment.Id, Kind = Job.Pretrain, Status = "completed", Attempt = 1,
                    Silo = "bench", Device = "cpu", QueuedAt = experiment.CreatedAt, StartedAt = experiment.CreatedAt, FinishedAt = now,
                });
                // Four in five have results: all of GLUE, or (every other one) only SST-2, MRPC and RTE.
                if (i % 5 != 4)
                {
                    var tasks = i % 2 == 0 ? columns : columns.Where(c => c.Task is "sst2" or "mrpc" or "rte").ToList();
                    var quality = 0.55 + 0.3 * random.NextDouble();
                    foreach (var column in tasks)
                    {
                        db.Jobs.Add(new Job
                        {
                            Id = Guid.CreateVersion7(), ExperimentId = experiment.Id, Kind = Job.FinetuneEval, Task = column.Task,
                            CheckpointStep = 1000, Status = "completed", Attempt = 1, Silo = "bench", Device = "cpu", QueuedAt = now,
                            StartedAt = now, FinishedAt = now,
                        });
                        for (var seed = 1; seed <= 3; seed++)
                        {
                            results.Add(new(experiment.Id, 1000, column.Task, column.Metric, seed, quality + 0.01 * (seed - 2)));
                        }
                    }
                }
                ids.Add(experiment.Id);
            }
            await db.SaveChangesAsync(cancellationToken);
        }
        foreach (var chunk in results.Chunk(5_000))
        {
            await new EvaluationResultStore(dataSource).AddAsync(chunk, cancellationToken);
        }
        await using var metrics = new MetricWriter(dataSource, storage);
        foreach (var id in ids)
        {
            for (var step = 1; step <= MetricSteps; step++)
            {
                await metrics.WriteAsync(new(id, "learning_rate", step, 5e-4, null, now), cancellationToken);
                await metrics.WriteAsync(new(id, "mlm_loss", step, 6.0 * Math.Exp(-step / 60.0) + 1.0, null, now), cancellationToken);
                await metrics.WriteAsync(new(id, "disc_loss", step, 0.6 * Math.Exp(-step / 40.0) + 0.2, null, now), cancellationToken);
            }
        }
        await metrics.FlushAsync(cancellationToken);
        return ids;
    }
}
