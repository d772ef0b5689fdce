using System.Text.Json;
using ElectraLab.Contracts;
using ElectraLab.Storage.Resilience;

namespace ElectraLab.Grains.Jobs;

/// <summary>
/// Sorts a job's failures into those its input caused, which would repeat on every attempt (fail the experiment at
/// once, with one line saying why), and the rest (a crash, a lost silo, the database), which another attempt may not meet.
/// </summary>
public static class JobFailures
{
    public static bool IsCausedByInput(Exception e) => e switch
    {
        _ when IsOutage(e) => false,
        JobInputException or FileNotFoundException or DirectoryNotFoundException or InvalidDataException => true,
        ArgumentException or JsonException or FormatException => true,
        _ => false,
    };

    /// <summary>The database is away: the call is worth repeating once it is back.</summary>
    public static bool IsOutage(Exception e)
    {
        for (var inner = e; inner is not null; inner = inner.InnerException)
        {
            if (inner is StorageUnavailableException) return true;
        }
        return TransientDatabaseErrors.IsTransient(e);
    }

    /// <summary>The reason a user reads: the message's first line, without a stack trace.</summary>
    public static string Reason(Exception e)
    {
        var message = e.Message.Split('\n', 2)[0].Trim();
        return e is JobInputException ? message : $"{e.GetType().Name}: {message}";
    }
}

/// <summary>A job cannot run as specified (its task's data is missing, its checkpoint is gone): retrying will not help.</summary>
public sealed class JobInputException(string message) : Exception(message);
