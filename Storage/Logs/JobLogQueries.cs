using Microsoft.EntityFrameworkCore;

namespace ElectraLab.Storage.Logs;

/// <summary>One stored log line as readers see it; <see cref="Id"/> is the cursor to read on from.</summary>
public sealed record JobLogLineView(long Id, Guid JobId, Guid DispatchId, long Seq, DateTimeOffset Time, string Source, string Line);

/// <summary>Reads an experiment's job logs for one team, oldest first, after a cursor.</summary>
public sealed class JobLogQueries(IDbContextFactory<ElectraLabDbContext> dbs)
{
    /// <summary>Lines with id greater than <paramref name="after"/>, at most <paramref name="limit"/>; null when the team has no such experiment.</summary>
    public async Task<IReadOnlyList<JobLogLineView>?> ReadAsync(Guid team, Guid experimentId, long after, int limit,
        CancellationToken cancellationToken = default)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        if (!await db.Experiments.AnyAsync(e => e.Id == experimentId && e.TeamId == team, cancellationToken)) return null;
        return await Lines(db, experimentId, after, limit).ToListAsync(cancellationToken);
    }

    /// <summary>The newest <paramref name="limit"/> lines, oldest first (a tail); null when the team has no such experiment.</summary>
    public async Task<IReadOnlyList<JobLogLineView>?> TailAsync(Guid team, Guid experimentId, int limit, CancellationToken cancellationToken = default)
    {
        await using var db = await dbs.CreateDbContextAsync(cancellationToken);
        if (!await db.Experiments.AnyAsync(e => e.Id == experimentId && e.TeamId == team, cancellationToken)) return null;
        var newest = await db.JobLogLines.AsNoTracking().Where(l => l.ExperimentId == experimentId).OrderByDescending(l => l.Id).Take(limit)
            .Select(l => new JobLogLineView(l.Id, l.JobId, l.DispatchId, l.Seq, l.Time, l.Source, l.Line)).ToListAsync(cancellationToken);
        newest.Reverse();
        return newest;
    }

    private static IQueryable<JobLogLineView> Lines(ElectraLabDbContext db, Guid experimentId, long after, int limit) =>
        db.JobLogLines.AsNoTracking().Where(l => l.ExperimentId == experimentId && l.Id > after).OrderBy(l => l.Id).Take(limit)
            .Select(l => new JobLogLineView(l.Id, l.JobId, l.DispatchId, l.Seq, l.Time, l.Source, l.Line));
}
