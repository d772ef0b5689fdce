namespace ElectraLab.Storage.Entities;

/// <summary>
/// One line of a job attempt's log: the silo's own lines about the attempt (source <c>runner</c>) and what its worker
/// process wrote outside the protocol (<c>stdout</c>, <c>stderr</c>). Bounded per attempt (<see cref="Logs.JobLogWriter"/>).
/// </summary>
public sealed class JobLogLine
{
    /// <summary>Increasing in insertion order: the cursor a reader follows the log with.</summary>
    public long Id { get; set; }
    public Guid ExperimentId { get; set; }
    public Guid JobId { get; set; }
    /// <summary>The attempt: one dispatch of the job to a slot.</summary>
    public Guid DispatchId { get; set; }
    /// <summary>The line's number within its attempt, from 1; (dispatch, seq) is unique, so a retried batch writes nothing twice.</summary>
    public long Seq { get; set; }
    public DateTimeOffset Time { get; set; }
    public required string Source { get; set; }
    public required string Line { get; set; }
}
