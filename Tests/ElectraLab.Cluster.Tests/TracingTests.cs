using System.Collections.Concurrent;
using System.Diagnostics;
using ElectraLab.Cluster.Tests.Support;
using ElectraLab.Contracts;
using Xunit.Abstractions;

namespace ElectraLab.Cluster.Tests;

/// <summary>
/// The spans of a real pre-training job on an in-process cluster, caught by a plain ActivityListener (what any
/// OpenTelemetry tracer subscribes to): the attempt joins the trace of the call that submitted the sweep, through the
/// grain calls, and each checkpoint write is a child of the attempt.
/// </summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class TracingTests(ITestOutputHelper output) : IAsyncLifetime
{
    private const string SubmitterName = "ElectraLab.Tests.Submitter";
    private static readonly ActivitySource TestSource = new(SubmitterName);
    private readonly PostgresDatabase _database = new();

    public Task InitializeAsync() => _database.InitializeAsync();

    public Task DisposeAsync() => _database.DisposeAsync();

    [SkippableFact]
    public async Task PretrainingAttempt_JoinsTheSubmissionsTrace_WithAChildSpanPerCheckpointWrite()
    {
        _database.SkipIfUnavailable();
        var spans = new ConcurrentQueue<Activity>();
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == TelemetryNames.ActivitySource || source.Name == SubmitterName
                                       || source.Name.StartsWith("Microsoft.Orleans", StringComparison.Ordinal),
            Sample = (ref ActivityCreationOptions<ActivityContext> _) => ActivitySamplingResult.AllDataAndRecorded,
            ActivityStopped = spans.Enqueue,
        };
        ActivitySource.AddActivityListener(listener);
        await using var cluster = await PlatformCluster.StartAsync(_database);

        Guid experiment;
        ActivityTraceId traceId;
        ActivitySpanId submitSpan;
        using (var submit = TestSource.StartActivity("POST /api/sweeps (test)", ActivityKind.Server))
        {
            traceId = submit!.TraceId;
            submitSpan = submit.SpanId;
            var (sweep, submission) = await cluster.SubmitAsync($$"""
                name: traced
                team: reliability
                base: {{TestData.MicroConfig(200, logEvery: 50).ToJsonString()}}
                checkpoints: {interval: 100, keep_last: 2}
                """);
            experiment = Assert.Single(submission.ExperimentIds);
            submit.Stop();
            await cluster.WaitForSweepAsync(sweep, TimeSpan.FromSeconds(240));
        }

        Activity? attempt = null;
        await Wait.UntilAsync(() => Task.FromResult(attempt = spans.FirstOrDefault(s => s.OperationName == "job pretrain"
                                    && (string?)s.GetTagItem("electralab.experiment") == experiment.ToString())),
            a => a is not null, TimeSpan.FromSeconds(10), "the attempt's span");
        var trace = spans.Where(s => s.TraceId == traceId).OrderBy(s => s.StartTimeUtc).ToList();
        foreach (var span in trace) output.WriteLine($"{span.StartTimeUtc:HH:mm:ss.fff} {span.Source.Name} {span.DisplayName} {span.Duration.TotalMilliseconds:F1} ms parent {span.ParentSpanId}");

        Assert.Equal(traceId, attempt!.TraceId);
        Assert.Equal("succeeded", attempt.GetTagItem("electralab.outcome"));
        Assert.Equal(200L, attempt.GetTagItem("electralab.step"));
        // The grain calls in between: the sweep's submission is a child of the submitting span.
        Assert.Contains(trace, s => s.ParentSpanId == submitSpan && s.DisplayName.Contains("ISweepGrain/SubmitAsync"));
        var writes = trace.Where(s => s.OperationName == "checkpoint write").ToList();
        // Training state at 100 and 200, and at the end the exported Hugging Face folders.
        Assert.Equal([(100L, "training-state"), (200L, "hf-export"), (200L, "training-state")],
            writes.Select(w => ((long)w.GetTagItem("electralab.checkpoint.step")!, (string)w.GetTagItem("electralab.checkpoint.kind")!)).Order());
        Assert.All(writes, w => Assert.Equal(attempt.SpanId, w.ParentSpanId));
        Assert.All(writes, w => Assert.True((long)w.GetTagItem("electralab.checkpoint.bytes")! > 10_000));
        Assert.All(writes, w => Assert.InRange(w.StartTimeUtc, attempt.StartTimeUtc, attempt.StartTimeUtc + attempt.Duration));
    }
}
