using System.Text.Json.Nodes;
using ElectraLab.Config.Pretraining;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Storage.Datasets;

namespace ElectraLab.Grains.Sweeps;

/// <summary>
/// Pins every "dataset: NAME" (or NAME@prefix) of a spec, in its base and in a dataset grid axis, to the exact version
/// ("NAME@full-sha") the team has when the sweep is submitted: a version pushed later never changes what a sweep's
/// experiments train on, and a name the team has not pushed is refused while the user is still listening.
/// </summary>
internal static class DatasetPinning
{
    public static async Task<SweepSpec> PinAsync(SweepSpec spec, DatasetStore datasets)
    {
        var baseConfig = JsonNode.Parse(spec.BaseConfigJson) as JsonObject;
        var changed = false;
        if (baseConfig?["dataset"] is JsonValue value && value.TryGetValue<string>(out var reference))
        {
            baseConfig["dataset"] = await PinOneAsync(spec.Team, reference, "base.dataset", datasets);
            changed = true;
        }
        var grid = spec.Search.Grid;
        if (grid.FirstOrDefault(g => g.Key == "dataset") is { } axis)
        {
            var pinned = new string[axis.ValuesJson.Length];
            for (var i = 0; i < pinned.Length; i++)
            {
                var text = JsonNode.Parse(axis.ValuesJson[i])?.GetValue<string>()
                    ?? throw new SweepSpecException($"search.grid.dataset[{i}]", "must be a dataset name");
                pinned[i] = JsonValue.Create(await PinOneAsync(spec.Team, text, $"search.grid.dataset[{i}]", datasets)).ToJsonString();
            }
            grid = grid.Select(g => g.Key == "dataset" ? g with { ValuesJson = pinned } : g).ToArray();
            changed = true;
        }
        return changed
            ? spec with { BaseConfigJson = baseConfig!.ToJsonString(), Search = spec.Search with { Grid = grid } }
            : spec;
    }

    private static async Task<string> PinOneAsync(string team, string reference, string field, DatasetStore datasets)
    {
        (string Name, string? Prefix) parsed;
        try { parsed = DatasetReference.Parse(reference); }
        catch (ArgumentException e) { throw new SweepSpecException(field, e.Message); }
        DatasetInfo? found;
        try { found = await datasets.ResolveAsync(team, parsed.Name, parsed.Prefix); }
        catch (ArgumentException e) { throw new SweepSpecException(field, e.Message); }
        return found?.Reference ?? throw new SweepSpecException(field, parsed.Prefix is null
            ? $"team '{team}' has no dataset '{parsed.Name}' (push one with `electralab data push <folder> --name {parsed.Name}`)"
            : $"team '{team}' has no version {parsed.Prefix} of dataset '{parsed.Name}' (see `electralab data list`)");
    }
}
