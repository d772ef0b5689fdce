using ElectraLab.Contracts.Scheduling;
using ElectraLab.Storage.Logs;

namespace ElectraLab.Grains.Jobs;

/// <summary>
/// One job attempt's log, kept with its experiment (<see cref="JobLogWriter"/>): the runner's own lines (config,
/// start, finish, error) and what the worker process writes outside the protocol. Queues only: never blocks a job and
/// never fails one, whatever the database does.
/// </summary>
internal sealed class JobAttemptLog(JobLogWriter? writer, JobAssignment assignment)
{
    public const string Runner = "runner";
    private long _seq;

    public void Write(string source, string line)
    {
        if (writer is null || line.Length == 0) return;
        var job = assignment.Job;
        writer.Append(new JobLogEntry(job.ExperimentId, job.JobId, assignment.DispatchId, Interlocked.Increment(ref _seq),
            DateTimeOffset.UtcNow, source, line));
    }

    public void Info(string line) => Write(Runner, line);
}
