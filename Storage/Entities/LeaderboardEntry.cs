namespace ElectraLab.Storage.Entities;

/// <summary>
/// Per experiment and benchmark: the medians over fine-tuning seeds and the benchmark score, recomputed from the raw
/// evaluation rows whenever results for the experiment are written (see <see cref="Results.EvaluationResultStore"/>).
/// </summary>
public sealed class LeaderboardEntry
{
    public Guid ExperimentId { get; set; }
    /// <summary>The experiment's team, copied here so a team's leaderboard is read in score order from one index.</summary>
    public Guid TeamId { get; set; }
    public required string Benchmark { get; set; }
    public double? Score { get; set; }
    /// <summary>Column name to median value, as JSON (jsonb).</summary>
    public required string Columns { get; set; }
    public int ColumnsReported { get; set; }
    /// <summary>Column name to the seeds' spread around that median, [min, max, seeds], as JSON (jsonb).</summary>
    public string SeedRanges { get; set; } = "{}";
    public DateTimeOffset UpdatedAt { get; set; }
}
