using System.Diagnostics;
using System.Text;

namespace ElectraLab.Storage.Metrics;

/// <summary>
/// One metric lane's overflow on local disk. When the database is away long enough for the lane's memory buffer to
/// fill, points are appended here instead of stalling training; when it is back, the flusher takes the whole file
/// (renamed aside, so appends go on into a fresh one) and writes it in batches. Files are named after the process
/// that wrote them, so a silo that died with points still spilled leaves them for the next writer on that folder.
/// </summary>
internal sealed class MetricSpill : IDisposable
{
    private const string Extension = ".spill";
    private readonly string _directory;
    private readonly string _prefix;
    private readonly Lock _lock = new();
    private BinaryWriter? _writer;
    private string? _path;
    private long _pending;
    private int _sequence;

    public MetricSpill(string directory, int lane)
    {
        _directory = directory;
        _prefix = $"{Environment.ProcessId}-{lane}-{Guid.NewGuid():N}";
        Directory.CreateDirectory(directory);
    }

    /// <summary>Points appended and not yet taken.</summary>
    public long Pending
    {
        get
        {
            lock (_lock) return _pending;
        }
    }

    public void Append(in MetricPoint point)
    {
        lock (_lock)
        {
            if (_writer is null)
            {
                _path = Path.Combine(_directory, $"{_prefix}-{_sequence++}{Extension}");
                _writer = new BinaryWriter(new FileStream(_path, FileMode.CreateNew, FileAccess.Write, FileShare.Read, 1 << 16), Encoding.UTF8);
            }
            Serialize(_writer, point);
            _pending++;
        }
    }

    /// <summary>Closes the current file and hands it over for writing (null when nothing is spilled).</summary>
    public (string Path, long Count)? Take()
    {
        lock (_lock)
        {
            if (_writer is null) return null;
            _writer.Dispose();
            _writer = null;
            var taken = (_path!, _pending);
            _pending = 0;
            return taken;
        }
    }

    /// <summary>Spill files left in <paramref name="directory"/> by processes that no longer run.</summary>
    public static IEnumerable<string> Orphans(string directory)
    {
        if (!Directory.Exists(directory)) yield break;
        foreach (var file in Directory.EnumerateFiles(directory, "*" + Extension))
        {
            var name = Path.GetFileName(file);
            var dash = name.IndexOf('-');
            if (dash > 0 && int.TryParse(name[..dash], out var pid) && pid != Environment.ProcessId && !IsRunning(pid))
            {
                yield return file;
            }
        }
    }

    public static IEnumerable<List<MetricPoint>> ReadBatches(string path, int batchSize)
    {
        using var reader = new BinaryReader(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16), Encoding.UTF8);
        var batch = new List<MetricPoint>(batchSize);
        while (true)
        {
            MetricPoint point;
            try
            {
                if (reader.BaseStream.Position >= reader.BaseStream.Length) break;
                point = Deserialize(reader);
            }
            catch (EndOfStreamException)
            {
                // A writer killed mid-record leaves a torn tail: everything before it is whole.
                break;
            }
            batch.Add(point);
            if (batch.Count == batchSize)
            {
                yield return batch;
                batch = new List<MetricPoint>(batchSize);
            }
        }
        if (batch.Count > 0) yield return batch;
    }

    public void Dispose()
    {
        lock (_lock)
        {
            _writer?.Dispose();
            _writer = null;
        }
    }

    private static void Serialize(BinaryWriter writer, in MetricPoint point)
    {
        writer.Write(point.ExperimentId.ToByteArray());
        writer.Write(point.Name);
        writer.Write(point.Step);
        writer.Write(point.Value);
        writer.Write(point.JobId.HasValue);
        writer.Write((point.JobId ?? Guid.Empty).ToByteArray());
        writer.Write(point.Time.UtcTicks);
    }

    private static MetricPoint Deserialize(BinaryReader reader)
    {
        var experiment = new Guid(reader.ReadBytes(16) is { Length: 16 } e ? e : throw new EndOfStreamException());
        var name = reader.ReadString();
        var step = reader.ReadInt64();
        var value = reader.ReadDouble();
        var hasJob = reader.ReadBoolean();
        var job = new Guid(reader.ReadBytes(16) is { Length: 16 } j ? j : throw new EndOfStreamException());
        var time = new DateTimeOffset(reader.ReadInt64(), TimeSpan.Zero);
        return new MetricPoint(experiment, name, step, value, hasJob ? job : null, time);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }
}
