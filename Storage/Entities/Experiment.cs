namespace ElectraLab.Storage.Entities;

public sealed class Experiment
{
    public Guid Id { get; set; }
    public Guid TeamId { get; set; }
    public Guid? SweepId { get; set; }
    /// <summary>The experiment this one was forked from.</summary>
    public Guid? ParentExperimentId { get; set; }
    public required string Name { get; set; }
    /// <summary>The resolved configuration as JSON (jsonb).</summary>
    public required string Config { get; set; }
    public required string Objective { get; set; }
    /// <summary>Generator size as a fraction of the discriminator (the paper's generator_hidden_size).</summary>
    public double GeneratorSize { get; set; }
    public required string ModelSize { get; set; }
    public long Params { get; set; }
    public long Seed { get; set; }
    public string Status { get; set; } = "created";
    public string[] Tags { get; set; } = [];
    /// <summary>The user's notes; never written by the platform.</summary>
    public string? Notes { get; set; }
    /// <summary>Why the experiment failed, was cancelled or stopped early, in one line; null while it runs or when it completed.</summary>
    public string? FailureReason { get; set; }
    public double TrainFlops { get; set; }
    /// <summary>The data it trained on: a pushed dataset's name, or the data_dir folder it read; null until its first job starts.</summary>
    public string? DatasetName { get; set; }
    /// <summary>Canonical SHA-256 of that data (lower-case hex, see DatasetPackage): equal hashes, equal data.</summary>
    public string? DatasetSha256 { get; set; }
    public string? VocabSha256 { get; set; }
    public int? VocabSize { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public DateTimeOffset UpdatedAt { get; set; }
}
