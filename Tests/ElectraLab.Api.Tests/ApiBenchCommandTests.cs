using System.Text.Json;
using ElectraLab.Cli;
using ElectraLab.Tests.Shared;

namespace ElectraLab.Api.Tests;

/// <summary>
/// `electralab bench api` end to end, kept short: a few experiments, two client counts, half a second each. It checks
/// what the bench prints, never how fast anything was.
/// </summary>
[Trait("Category", "Api")]
public sealed class ApiBenchCommandTests
{
    [SkippableFact]
    public async Task BenchApi_ShortRun_PrintsTheTableAndTheJson_WithEveryRunServedWithoutErrors()
    {
        var server = Environment.GetEnvironmentVariable(PostgresTestDatabase.ServerVariable);
        var underCi = string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);
        Assert.False(underCi && string.IsNullOrWhiteSpace(server), $"CI=true but {PostgresTestDatabase.ServerVariable} is not set");
        Skip.If(string.IsNullOrWhiteSpace(server), $"{PostgresTestDatabase.ServerVariable} is not set: no PostgreSQL to test against.");
        string[] common = ["bench", "api", "--connection", server!, "--clients", "1", "3", "--duration", "0.5", "--warmup", "0.2",
            "--experiments", "6", "--sweeps", "2"];

        var (code, table, error) = await RunAsync(common);
        Assert.True(code == 0, $"exit {code}: {error}\n{table}");
        Assert.Contains("| workload", table);
        Assert.Contains("requests/s", table);
        Assert.Contains("p99 ms", table);
        var rows = table.Split('\n').Where(l => l.StartsWith("| read mix", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, rows.Count);
        Assert.Single(table.Split('\n'), l => l.StartsWith("| ceiling: /health/live", StringComparison.Ordinal));

        (code, var json, error) = await RunAsync([.. common, "--json", "--cache", "off"]);
        Assert.True(code == 0, $"exit {code}: {error}\n{json}");
        using var document = JsonDocument.Parse(json);
        Assert.False(document.RootElement.GetProperty("cache").GetBoolean());
        var results = document.RootElement.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal(["read mix", "read mix", "ceiling: /health/live"], results.Select(r => r.GetProperty("workload").GetString()));
        Assert.Equal([1, 3, 3], results.Select(r => r.GetProperty("clients").GetInt32()));
        Assert.All(results, r =>
        {
            Assert.True(r.GetProperty("requests").GetInt64() > 0);
            Assert.Equal(0, r.GetProperty("errors").GetInt64());
            foreach (var field in new[] { "requestsPerSecond", "p50Ms", "p99Ms", "maxMs" }) Assert.True(r.TryGetProperty(field, out _), field);
        });
    }

    private static Task<(int Code, string Output, string Error)> RunAsync(string[] args) => Task.Run(() =>
    {
        using var output = new StringWriter();
        using var error = new StringWriter();
        var code = CliApp.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    });
}
