using System.Runtime.ExceptionServices;

namespace ElectraLab.Electra.Data;

/// <summary>Runs a Parallel loop and rethrows a worker's exception as itself rather than wrapped in an
/// AggregateException, so a bad input file surfaces as the one-line error it is.</summary>
internal static class ParallelWork
{
    public static void Run(Action loop)
    {
        try
        {
            loop();
        }
        catch (AggregateException e) when (e.InnerExceptions.Count >= 1)
        {
            ExceptionDispatchInfo.Capture(e.InnerExceptions[0]).Throw();
        }
    }
}
