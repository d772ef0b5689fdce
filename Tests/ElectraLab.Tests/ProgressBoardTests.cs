using ElectraLab.Cli.Commands.Client;

namespace ElectraLab.Tests;

/// <summary>The progress board's line: a bar, steps, state, and while pre-training the speed and the time left.</summary>
[Trait("Category", "Unit")]
public sealed class ProgressBoardTests
{
    [Fact]
    public void ARunningExperiment_ShowsItsSpeedAndTimeLeft()
    {
        var running = new ExperimentProgress("s/lr=0.001/seed=1", "pretraining", 250, 1000, null, StepsPerSecond: 2.5);
        var line = ProgressBoard.Line(running, [running]);
        Assert.Contains("[######..................]  250/1000 steps  pretraining  2.50 steps/s, 5 min 0 s left", line);
    }

    [Fact]
    public void WithoutHeartbeats_NoSpeedIsInvented_AndACompletedRunIsFull()
    {
        var queued = new ExperimentProgress("a", "queued", 0, 1000, null);
        var done = new ExperimentProgress("b", "completed", 0, null, null);
        Assert.EndsWith("queued", ProgressBoard.Line(queued, [queued, done]));
        Assert.Contains($"[{new string('#', 24)}]", ProgressBoard.Line(done, [queued, done]));
    }
}
