using System.Collections.Concurrent;
using ElectraLab.Storage.Datasets;

namespace ElectraLab.Grains.Jobs;

/// <summary>
/// A silo's local copies of pushed datasets, one folder per content hash under &lt;work&gt;/datasets/&lt;sha256&gt;. A
/// dataset is fetched from PostgreSQL once per silo machine: streamed into a temporary tar (its SHA-256 checked at the
/// end), unpacked into a temporary folder, and renamed into place only when complete, so a crash mid-fetch leaves no
/// half folder that a later job could mistake for the dataset. Jobs on the slots of one silo wait for one fetch.
/// </summary>
internal static class DatasetCache
{
    private static readonly ConcurrentDictionary<string, SemaphoreSlim> Fetching = new(StringComparer.Ordinal);

    /// <summary>Marks a folder whose content was verified against its hash; written last, before the rename.</summary>
    private const string VerifiedMarker = ".verified";

    public static string FolderOf(string root, string sha256) => Path.Combine(root, sha256);

    /// <summary>The local folder of the dataset with this exact hash, fetched if this machine does not have it yet.</summary>
    public static async Task<string> EnsureAsync(DatasetStore store, string root, string sha256, CancellationToken cancellationToken)
    {
        var folder = FolderOf(root, sha256);
        if (File.Exists(Path.Combine(folder, VerifiedMarker))) return folder;
        var gate = Fetching.GetOrAdd(folder, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (File.Exists(Path.Combine(folder, VerifiedMarker))) return folder;
            var dataset = await store.FindAsync(sha256, cancellationToken)
                ?? throw new JobInputException($"dataset {sha256[..12]} is not stored in this cluster (was it deleted?)");
            Directory.CreateDirectory(root);
            var partial = Path.Combine(root, $".fetch-{Guid.NewGuid():N}");
            var tar = partial + ".tar";
            try
            {
                await using (var source = await store.OpenReadAsync(dataset, cancellationToken))
                await using (var target = new FileStream(tar, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
                {
                    // To the end first: the stream verifies length and SHA-256 before anything is unpacked.
                    await source.CopyToAsync(target, cancellationToken);
                }
                await using (var packed = new FileStream(tar, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20))
                {
                    await DatasetPackage.UnpackAsync(packed, partial, maxEntries: 100_000, cancellationToken);
                }
                await File.WriteAllTextAsync(Path.Combine(partial, VerifiedMarker), dataset.Reference, cancellationToken);
                // Another silo process sharing this folder may have won the race: its copy is the same content, and a
                // job of its may be reading it, so it stays. A folder without the marker is an interrupted fetch.
                if (File.Exists(Path.Combine(folder, VerifiedMarker))) return folder;
                if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
                try { Directory.Move(partial, folder); }
                catch (IOException) when (File.Exists(Path.Combine(folder, VerifiedMarker))) { }
                return folder;
            }
            finally
            {
                File.Delete(tar);
                if (Directory.Exists(partial)) Directory.Delete(partial, recursive: true);
            }
        }
        finally
        {
            gate.Release();
        }
    }
}
