using System.Formats.Tar;
using ElectraLab.Storage.Checkpoints;

namespace ElectraLab.Grains.Jobs;

/// <summary>
/// Moves a pre-training checkpoint folder (model.safetensors, optimizer.safetensors, state.json) to and from the Storage
/// checkpoint store as one tar stream, so any silo can resume a job another silo checkpointed.
/// </summary>
public static class CheckpointTransfer
{
    public static async Task<CheckpointInfo> UploadAsync(CheckpointStore store, Guid experimentId, long step, string kind,
        string folder, Guid? jobId, CancellationToken cancellationToken = default)
    {
        var tar = Path.Combine(Path.GetDirectoryName(folder)!, $".upload-{Guid.NewGuid():N}.tar");
        try
        {
            await TarFile.CreateFromDirectoryAsync(folder, tar, includeBaseDirectory: false, cancellationToken);
            await using var stream = new FileStream(tar, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 20, FileOptions.SequentialScan);
            return await store.WriteAsync(experimentId, step, kind, stream, jobId, cancellationToken);
        }
        finally
        {
            File.Delete(tar);
        }
    }

    /// <summary>Streams a checkpoint out of the store (its SHA-256 is verified at the end) into <paramref name="folder"/>.</summary>
    public static async Task<string> DownloadAsync(CheckpointStore store, CheckpointInfo checkpoint, string folder,
        CancellationToken cancellationToken = default)
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
        Directory.CreateDirectory(folder);
        var tar = folder + ".tar";
        try
        {
            await using (var source = await store.OpenReadAsync(checkpoint.Id, cancellationToken))
            await using (var target = new FileStream(tar, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
            {
                // Copy to the end, so the stream's checksum is verified before anything is extracted.
                await source.CopyToAsync(target, cancellationToken);
            }
            await TarFile.ExtractToDirectoryAsync(tar, folder, overwriteFiles: true, cancellationToken);
            return folder;
        }
        finally
        {
            File.Delete(tar);
        }
    }
}
