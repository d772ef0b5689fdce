using System.Text.Json;
using ElectraLab.Contracts.Experiments;
using ElectraLab.Contracts.Scheduling;
using ElectraLab.Contracts.Sweeps;
using ElectraLab.Grains.Hosting;
using ElectraLab.Grains.Records;
using ElectraLab.Sweeps;

namespace ElectraLab.Grains.Sweeps;

[GenerateSerializer, Alias("electralab.SweepGrainState")]
public sealed class SweepGrainState
{
    [Id(0)] public SweepSpec? Spec { get; set; }
    [Id(1)] public string? SpecJson { get; set; }
    [Id(2)] public List<Guid> ExperimentIds { get; set; } = [];
    [Id(3)] public string State { get; set; } = SweepStatus.NotSubmitted;
    /// <summary>Early stopping: per rung step, each experiment's metric value there.</summary>
    [Id(4)] public Dictionary<long, Dictionary<Guid, double>> Rungs { get; set; } = [];
    [Id(5)] public int Started { get; set; }
}

/// <summary>
/// A sweep: validates and expands its spec, starts the experiments, follows their states and takes early-stopping
/// decisions. Experiments report to it one-way and it never waits on an experiment that could be waiting on it.
/// </summary>
public sealed class SweepGrain(
    [PersistentState("sweep", PlatformSiloBuilderExtensions.StorageName)] IPersistentState<SweepGrainState> state,
    PlatformStore store,
    Storage.Datasets.DatasetStore datasets) : Grain, ISweepGrain
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = false };
    private readonly Dictionary<Guid, ExperimentStatus> _statuses = [];

    private SweepGrainState S => state.State;

    public async Task<SweepSubmission> SubmitAsync(SweepSpec spec)
    {
        SweepSpecLoader.Validate(spec);
        var specJson = JsonSerializer.Serialize(spec, Json);
        var sweepId = this.GetPrimaryKey();
        if (S.Spec is not null && S.SpecJson != specJson)
        {
            throw new SweepSpecException("$", $"sweep {sweepId} was already submitted with a different spec");
        }
        IReadOnlyList<ExperimentSpec> experiments;
        if (S.Spec is null)
        {
            // The spec as submitted is what a retried submit is compared with; the pinned one is what runs.
            var pinned = await DatasetPinning.PinAsync(spec, datasets);
            experiments = SweepExpander.Expand(sweepId, pinned);
            CheckDatasets(pinned, experiments);
            await store.SaveSweepAsync(sweepId, pinned, specJson, experiments);
            S.Spec = pinned;
            S.SpecJson = specJson;
            S.ExperimentIds = experiments.Select(e => e.ExperimentId).ToList();
            S.State = SweepStatus.Running;
            await state.WriteStateAsync();
        }
        else
        {
            experiments = SweepExpander.Expand(sweepId, S.Spec);
        }
        // Experiments start in parallel batches (each persists its state, job row and reminder), and their first jobs
        // are queued batch by batch in index order, so the queue runs a sweep in the order its spec lists it. Starting
        // is idempotent per experiment, so a retried submit finishes what a crashed one began.
        var scheduler = GrainFactory.GetGrain<ISchedulerGrain>(ISchedulerGrain.DefaultKey);
        foreach (var batch in experiments.Skip(S.Started).Chunk(32))
        {
            var jobs = await Task.WhenAll(batch.Select(e => GrainFactory.GetGrain<IExperimentGrain>(e.ExperimentId).StartAsync(e)));
            await scheduler.EnqueueManyAsync(jobs.OfType<JobRequest>().ToArray());
        }
        if (S.Started != experiments.Count)
        {
            S.Started = experiments.Count;
            await state.WriteStateAsync();
        }
        return new SweepSubmission(sweepId, S.ExperimentIds.ToArray());
    }

    /// <summary>
    /// A dataset folder that is not there fails every experiment of the sweep, so it is refused at submission, where the
    /// user is still listening. Checked on this silo's disk: silos are expected to see datasets at the same paths.
    /// </summary>
    private static void CheckDatasets(SweepSpec spec, IReadOnlyList<ExperimentSpec> experiments)
    {
        if (spec.Workload.Kind != WorkloadSpec.Electra) return;
        var field = spec.Search.Grid.Any(g => g.Key == "data_dir") ? "search.grid.data_dir" : "base.data_dir";
        var folders = experiments
            .Select(e => System.Text.Json.Nodes.JsonNode.Parse(e.ConfigJson)?["data_dir"]?.GetValue<string>())
            .OfType<string>()
            .Distinct(StringComparer.Ordinal);
        foreach (var folder in folders)
        {
            if (!Directory.Exists(folder))
                throw new SweepSpecException(field, $"'{folder}' does not exist on this cluster's silos");
            if (!File.Exists(Path.Combine(folder, "dataset.json")))
                throw new SweepSpecException(field, $"'{folder}' is not a prepared dataset (no dataset.json; see `electralab data prepare`)");
        }
    }

    public async Task<SweepStatus> GetStatusAsync()
    {
        var spec = S.Spec;
        if (spec is null) return new SweepStatus(this.GetPrimaryKey(), "", "", SweepStatus.NotSubmitted, []);
        // After a reactivation the cache is empty: ask the experiments, which own their state.
        foreach (var id in S.ExperimentIds.Where(id => !_statuses.ContainsKey(id)).ToList())
        {
            _statuses[id] = await GrainFactory.GetGrain<IExperimentGrain>(id).GetStatusAsync();
        }
        await UpdateStateAsync();
        return new SweepStatus(this.GetPrimaryKey(), spec.Name, spec.Team, S.State, S.ExperimentIds.Select(id => _statuses[id]).ToArray());
    }

    public async Task CancelAsync(string reason)
    {
        if (S.Spec is null || S.State != SweepStatus.Running) return;
        S.State = SweepStatus.Cancelled;
        await state.WriteStateAsync();
        await store.SetSweepStatusAsync(this.GetPrimaryKey(), S.State);
        foreach (var id in S.ExperimentIds) await GrainFactory.GetGrain<IExperimentGrain>(id).CancelAsync(reason);
    }

    public async Task<bool> ReportRungAsync(Guid experimentId, long step, double value)
    {
        var rule = S.Spec?.EarlyStopping;
        if (rule is null) return S.State == SweepStatus.Running;
        if (S.State != SweepStatus.Running) return false;
        if (!S.Rungs.TryGetValue(step, out var rung)) S.Rungs[step] = rung = [];
        rung[experimentId] = value;
        await state.WriteStateAsync();
        var others = rung.Where(kv => kv.Key != experimentId).Select(kv => kv.Value).ToList();
        if (others.Count < rule.MinExperiments) return true;
        // Scores oriented so that higher is better.
        double Score(double v) => rule.LowerIsBetter ? -v : v;
        if (rule.Rule == EarlyStoppingSpec.Asha)
        {
            var all = rung.Values.Select(Score).OrderByDescending(v => v).ToList();
            var keep = Math.Max(1, (int)Math.Floor(all.Count / rule.ReductionFactor));
            return Score(value) >= all[keep - 1];
        }
        var sorted = others.Select(Score).OrderBy(v => v).ToList();
        var median = sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
        return Score(value) >= median;
    }

    public async Task ExperimentChangedAsync(ExperimentStatus status)
    {
        _statuses[status.ExperimentId] = status;
        if (S.State != SweepStatus.Running || !status.State.IsTerminal()) return;
        // After a reactivation the cache holds only the experiments heard from since: ask the others (experiments
        // never wait on their sweep, so this cannot deadlock).
        foreach (var id in S.ExperimentIds.Where(id => !_statuses.ContainsKey(id)).ToList())
        {
            _statuses[id] = await GrainFactory.GetGrain<IExperimentGrain>(id).GetStatusAsync();
        }
        await UpdateStateAsync();
    }

    private async Task UpdateStateAsync()
    {
        if (S.State != SweepStatus.Running || S.ExperimentIds.Count == 0) return;
        if (S.ExperimentIds.All(id => _statuses.TryGetValue(id, out var s) && s.State.IsTerminal()))
        {
            // "completed" means something did: a sweep whose experiments all failed says so.
            var states = S.ExperimentIds.Select(id => _statuses[id].State).ToList();
            S.State = states.Any(s => s is ExperimentState.Completed or ExperimentState.StoppedEarly) || !states.Contains(ExperimentState.Failed)
                ? SweepStatus.Completed
                : SweepStatus.Failed;
            await state.WriteStateAsync();
            await store.SetSweepStatusAsync(this.GetPrimaryKey(), S.State);
        }
    }
}
