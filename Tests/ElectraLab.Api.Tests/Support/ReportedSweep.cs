using System.Text.Json.Nodes;
using ElectraLab.Api.Endpoints;
using ElectraLab.Storage.Results;

namespace ElectraLab.Api.Tests.Support;

/// <summary>
/// A sweep of ELECTRA against MLM with its no-pre-training arm (no-op jobs) whose experiments then get MRPC results as evaluation jobs would write
/// them, at two FLOP budgets (MLM's steps are cheaper, so its checkpoints are later: 663 and 1,327 of its steps cost
/// what 500 and 1,000 of ELECTRA's do) and five fine-tuning seeds: ELECTRA clearly ahead at both, so the findings hold.
/// </summary>
public static class ReportedSweep
{
    public static async Task<(Guid SweepId, Guid[] Experiments)> CreateAsync(ApiHost host, HttpClient client, string team)
    {
        var spec = $$"""
            name: electra-vs-mlm
            team: {{team}}
            search:
              grid:
                objective: [electra, mlm]
              baseline: true
            workload: {kind: noop}
            """;
        var created = await ApiHost.ReadAsync<SweepCreated>(await client.PostAsync("/api/sweeps", ApiHost.Yaml(spec)));
        var deadline = DateTime.UtcNow.AddSeconds(60);
        while (JsonNode.Parse(await client.GetStringAsync($"/api/sweeps/{created.SweepId}"))!["status"]!.GetValue<string>() != "completed")
        {
            if (DateTime.UtcNow > deadline) throw new TimeoutException("the no-op sweep did not complete");
            await Task.Delay(200);
        }
        var rows = new List<EvaluationResultRow>();
        var experiments = JsonNode.Parse(await client.GetStringAsync($"/api/sweeps/{created.SweepId}/results"))!["experiments"]!.AsArray();
        foreach (var experiment in experiments)
        {
            var id = Guid.Parse(experiment!["id"]!.GetValue<string>());
            var electra = experiment["objective"]!.GetValue<string>() == "electra";
            var baseline = experiment["config"]!["num_train_steps"]!.GetValue<long>() == 0;
            var steps = baseline ? new[] { (0L, false) } : electra ? [(500L, false), (1000L, true)] : [(663L, false), (1327L, true)];
            foreach (var (step, late) in steps)
            {
                for (var seed = 1; seed <= 5; seed++)
                {
                    var accuracy = (baseline ? 0.66 : electra ? 0.78 : 0.70) + (late ? 0.02 : 0) + 0.002 * seed;
                    rows.Add(new(id, step, "mrpc", "accuracy", seed, accuracy));
                    rows.Add(new(id, step, "mrpc", "f1", seed, accuracy + 0.05));
                }
            }
        }
        await host.Service<EvaluationResultStore>().AddAsync(rows);
        return (created.SweepId, created.ExperimentIds.ToArray());
    }
}
