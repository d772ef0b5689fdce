using System.Text.Json.Nodes;
using ElectraLab.Config.Pretraining;
using ElectraLab.Storage.Datasets;

namespace ElectraLab.Grains.Jobs;

/// <summary>
/// Finds the data a pre-training attempt trains on and records it on the experiment. A pinned "dataset: NAME@sha" is
/// fetched into this silo's dataset cache (<see cref="DatasetCache"/>) and handed to the worker as its data_dir; a local
/// data_dir is hashed the same canonical way, so the experiment page can tell whether two runs read the same data
/// whichever way they got it.
/// </summary>
internal static class JobData
{
    /// <summary>The worker's config: the experiment's, with a pushed dataset replaced by its local folder.</summary>
    public static string Prepare(JobServices services, JobContext context)
    {
        var (_, job, payload, _) = context;
        var config = JsonNode.Parse(payload.ConfigJson) as JsonObject
            ?? throw new JobInputException("the experiment's config is not a JSON object");
        string folder, name, sha256;
        if (config["dataset"]?.GetValue<string>() is { } reference)
        {
            var (datasetName, prefix) = DatasetReference.Parse(reference);
            if (prefix is not { Length: 64 }) throw new JobInputException($"dataset '{reference}' was not pinned to a version at submission");
            var root = Path.Combine(services.Options.WorkDirectory ?? Hosting.JobOptions.DefaultWorkDirectory, "datasets");
            job.Log.Info($"dataset {datasetName}@{prefix[..12]}: fetching into this silo's cache unless it is there");
            folder = services.Durable(() => DatasetCache.EnsureAsync(services.Datasets, root, prefix, job.Token),
                $"fetching dataset {datasetName}@{prefix[..12]}", job.Token);
            config.Remove("dataset");
            config["data_dir"] = folder;
            (name, sha256) = (datasetName, prefix);
        }
        else if (config["data_dir"]?.GetValue<string>() is { } dataDir)
        {
            if (!Directory.Exists(dataDir)) throw new JobInputException($"data_dir '{dataDir}' does not exist on this silo's machine");
            folder = dataDir;
            name = dataDir;
            sha256 = DatasetPackage.HashAsync(dataDir, job.Token).GetAwaiter().GetResult();
        }
        else
        {
            throw new JobInputException("config key 'dataset' or 'data_dir' is required");
        }

        var summary = DatasetPackage.Describe(folder, vocabMayBeOutside: true);
        services.Durable(() => services.Datasets.RecordExperimentDataAsync(payload.ExperimentId, name, sha256, summary.VocabSha256, summary.VocabSize, job.Token),
            "recording the experiment's dataset", job.Token);
        job.Log.Info($"data: {name} (sha256 {sha256[..12]}, {summary.Examples:N0} examples, vocabulary {summary.VocabSize:N0} tokens, sha256 {summary.VocabSha256[..12]})");
        return config.ToJsonString();
    }
}
