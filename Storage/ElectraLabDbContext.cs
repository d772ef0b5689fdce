using ElectraLab.Storage.Entities;
using Microsoft.EntityFrameworkCore;

namespace ElectraLab.Storage;

public sealed class ElectraLabDbContext(DbContextOptions<ElectraLabDbContext> options) : DbContext(options)
{
    public DbSet<Team> Teams => Set<Team>();
    public DbSet<User> Users => Set<User>();
    public DbSet<ApiKey> ApiKeys => Set<ApiKey>();
    public DbSet<Sweep> Sweeps => Set<Sweep>();
    public DbSet<Experiment> Experiments => Set<Experiment>();
    public DbSet<Job> Jobs => Set<Job>();
    public DbSet<Metric> Metrics => Set<Metric>();
    public DbSet<MetricRollup> MetricRollups => Set<MetricRollup>();
    public DbSet<EvaluationResult> EvaluationResults => Set<EvaluationResult>();
    public DbSet<LeaderboardEntry> LeaderboardEntries => Set<LeaderboardEntry>();
    public DbSet<Checkpoint> Checkpoints => Set<Checkpoint>();
    public DbSet<CheckpointChunk> CheckpointChunks => Set<CheckpointChunk>();
    public DbSet<JobLogLine> JobLogLines => Set<JobLogLine>();
    public DbSet<Dataset> Datasets => Set<Dataset>();
    public DbSet<DatasetChunk> DatasetChunks => Set<DatasetChunk>();

    protected override void OnModelCreating(ModelBuilder model)
    {
        model.Entity<Team>(e =>
        {
            e.HasIndex(t => t.Name).IsUnique();
        });

        model.Entity<User>(e =>
        {
            e.HasIndex(u => u.Email).IsUnique();
            e.HasIndex(u => u.TeamId);
            e.HasOne<Team>().WithMany().HasForeignKey(u => u.TeamId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<ApiKey>(e =>
        {
            e.HasIndex(k => k.KeyHash).IsUnique();
            e.HasIndex(k => k.UserId);
            e.HasOne<User>().WithMany().HasForeignKey(k => k.UserId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Sweep>(e =>
        {
            e.Property(s => s.Spec).HasColumnType("jsonb");
            e.HasIndex(s => new { s.TeamId, s.CreatedAt }).IsDescending(false, true);
            e.HasOne<Team>().WithMany().HasForeignKey(s => s.TeamId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<User>().WithMany().HasForeignKey(s => s.CreatedBy).OnDelete(DeleteBehavior.SetNull);
        });

        model.Entity<Experiment>(e =>
        {
            e.Property(x => x.Config).HasColumnType("jsonb");
            e.HasIndex(x => new { x.TeamId, x.CreatedAt }).IsDescending(false, true);
            e.HasIndex(x => new { x.TeamId, x.Objective });
            // Covers the leaderboard's join: a team's experiments are read from the index alone, not from heap pages
            // shared with every other team.
            e.HasIndex(x => new { x.TeamId, x.Id })
                .IncludeProperties(x => new
                {
                    x.Name, x.Objective, x.GeneratorSize, x.ModelSize, x.Params, x.TrainFlops, x.Status, x.Tags, x.CreatedAt,
                })
                .HasDatabaseName("ix_experiments_team_id_id_covering");
            e.HasIndex(x => x.SweepId);
            e.HasIndex(x => x.ParentExperimentId);
            e.HasIndex(x => x.Tags).HasMethod("gin");
            e.HasOne<Team>().WithMany().HasForeignKey(x => x.TeamId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<Sweep>().WithMany().HasForeignKey(x => x.SweepId).OnDelete(DeleteBehavior.SetNull);
            e.HasOne<Experiment>().WithMany().HasForeignKey(x => x.ParentExperimentId).OnDelete(DeleteBehavior.SetNull);
            e.HasOne<User>().WithMany().HasForeignKey(x => x.CreatedBy).OnDelete(DeleteBehavior.SetNull);
        });

        model.Entity<Job>(e =>
        {
            e.ToTable(t => t.HasCheckConstraint("ck_jobs_kind", "kind IN ('pretrain', 'finetune-eval')"));
            e.HasIndex(j => j.ExperimentId);
            e.HasIndex(j => j.Status);
            e.HasOne<Experiment>().WithMany().HasForeignKey(j => j.ExperimentId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Metric>(e =>
        {
            // No foreign key: a per-row RI check costs a third of ingestion throughput. A statement trigger on
            // experiments deletes an experiment's metrics and rollups instead (see the InitialCreate migration).
            e.HasKey(m => new { m.ExperimentId, m.Name, m.Step });
        });

        model.Entity<MetricRollup>(e =>
        {
            e.HasKey(r => new { r.ExperimentId, r.Name, r.Block });
        });

        model.Entity<EvaluationResult>(e =>
        {
            e.HasIndex(r => new { r.ExperimentId, r.Task, r.Metric, r.CheckpointStep, r.Seed }).IsUnique()
                .HasDatabaseName("ux_evaluation_results_key");
            e.HasOne<Experiment>().WithMany().HasForeignKey(r => r.ExperimentId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<LeaderboardEntry>(e =>
        {
            e.HasKey(l => new { l.ExperimentId, l.Benchmark });
            e.Property(l => l.Columns).HasColumnType("jsonb");
            e.Property(l => l.SeedRanges).HasColumnType("jsonb").HasDefaultValueSql("'{}'::jsonb");
            // Index (team_id, benchmark, score DESC NULLS LAST, experiment_id) is created in SQL: EF cannot say NULLS LAST.
            e.HasOne<Experiment>().WithMany().HasForeignKey(l => l.ExperimentId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Checkpoint>(e =>
        {
            e.HasIndex(c => new { c.ExperimentId, c.Kind, c.Step }).IsUnique().HasDatabaseName("ux_checkpoints_key");
            e.HasOne<Experiment>().WithMany().HasForeignKey(c => c.ExperimentId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<CheckpointChunk>(e =>
        {
            e.HasKey(c => new { c.CheckpointId, c.Index });
            e.HasOne<Checkpoint>().WithMany().HasForeignKey(c => c.CheckpointId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<JobLogLine>(e =>
        {
            e.HasIndex(l => new { l.ExperimentId, l.Id });
            e.HasIndex(l => new { l.DispatchId, l.Seq }).IsUnique().HasDatabaseName("ux_job_log_lines_attempt_seq");
            e.HasOne<Experiment>().WithMany().HasForeignKey(l => l.ExperimentId).OnDelete(DeleteBehavior.Cascade);
        });

        model.Entity<Dataset>(e =>
        {
            e.HasIndex(d => new { d.TeamId, d.Name, d.Sha256 }).IsUnique().HasDatabaseName("ux_datasets_version");
            e.HasIndex(d => d.Sha256);
            e.HasOne<Team>().WithMany().HasForeignKey(d => d.TeamId).OnDelete(DeleteBehavior.Cascade);
            e.HasOne<User>().WithMany().HasForeignKey(d => d.CreatedBy).OnDelete(DeleteBehavior.SetNull);
        });

        model.Entity<DatasetChunk>(e =>
        {
            e.HasKey(c => new { c.DatasetId, c.Index });
            e.HasOne<Dataset>().WithMany().HasForeignKey(c => c.DatasetId).OnDelete(DeleteBehavior.Cascade);
        });

        SnakeCaseNames.Apply(model);
    }
}
