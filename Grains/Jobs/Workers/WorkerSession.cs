using ElectraLab.Grains.Hosting;
using Microsoft.Extensions.Logging;

namespace ElectraLab.Grains.Jobs.Workers;

/// <summary>
/// Runs one job attempt in a worker process and supervises it: hands each of its requests to the job's handler and
/// writes back the reply, forwards a cancellation (and kills a worker that does not stop in time), kills a worker that
/// reports nothing for <see cref="JobOptions.WorkerHangTimeout"/>, and turns a worker that dies without finishing
/// (a native crash, kill -9, out of memory) into a failed attempt that names how it died and what it last said.
/// </summary>
internal sealed class WorkerSession(WorkerCommand command, JobOptions options, ILogger logger)
{
    /// <param name="onMessage">Handles a worker message; returns the reply to send, or null for none.</param>
    /// <returns>The worker's done message.</returns>
    /// <exception cref="WorkerFailedException">The worker died, hung, or stopped answering.</exception>
    public WorkerMessage Run(RunningJob job, int threads, WorkerStart start, Func<WorkerMessage, WorkerMessage?> onMessage)
    {
        var name = $"worker {job.Assignment.Job.JobId.ToString()[..8]}";
        // Before the start: the worker's first lines may arrive before this thread could write anything after it.
        job.Log.Info($"starting a worker process ({threads} thread{(threads == 1 ? "" : "s")})");
        using var worker = WorkerProcess.Start(command, threads, logger, name, job.Log.Write);
        logger.LogInformation("Job {JobId}: worker process {Pid} started ({Kind})", job.Assignment.Job.JobId, worker.Id, start.Kind);
        worker.Send(new WorkerMessage(WorkerMessageTypes.Start) { Start = start });
        DateTime? cancelledAt = null;
        using var onCancel = job.Token.Register(() =>
            worker.Send(new WorkerMessage(WorkerMessageTypes.Cancel) { Continue = job.SiloStopping }));
        while (true)
        {
            if (job.Token.IsCancellationRequested) cancelledAt ??= DateTime.UtcNow;
            var wait = cancelledAt is { } since ? options.WorkerStopGrace - (DateTime.UtcNow - since) : options.WorkerHangTimeout;
            WorkerMessage? message;
            try
            {
                message = worker.Receive(wait > TimeSpan.Zero ? Min(wait, TimeSpan.FromSeconds(1)) : TimeSpan.Zero);
            }
            catch (TimeoutException)
            {
                if (cancelledAt is not null && DateTime.UtcNow - cancelledAt >= options.WorkerStopGrace)
                {
                    worker.Kill();
                    throw new WorkerFailedException($"the worker did not stop within {options.WorkerStopGrace.TotalSeconds:0} s of being cancelled and was killed");
                }
                if (cancelledAt is null && worker.IdleFor >= options.WorkerHangTimeout)
                {
                    worker.Kill();
                    throw new WorkerFailedException($"the worker reported nothing for {options.WorkerHangTimeout.TotalMinutes:0.#} min and was killed (hung); " +
                                                    $"last log: {worker.LogTail}");
                }
                continue;
            }
            if (message is null)
            {
                throw new WorkerFailedException($"the worker process died ({worker.ExitDescription}); last log: {worker.LogTail}");
            }
            if (message.Type == WorkerMessageTypes.Done) return message;
            if (onMessage(message) is { } reply) worker.Send(reply);
        }
    }

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}

/// <summary>A worker ended an attempt without finishing it: an infrastructure failure, worth another attempt.</summary>
internal sealed class WorkerFailedException(string message) : Exception(message);
