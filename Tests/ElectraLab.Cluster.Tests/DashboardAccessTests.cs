using System.Net;
using System.Net.Http.Headers;
using System.Text;
using ElectraLab.Cluster.Tests.Support;

namespace ElectraLab.Cluster.Tests;

/// <summary>
/// The Orleans dashboard lists every team's grains and streams the silo's log: a real silo process serves it to the
/// admin key only (header or HTTP Basic password), and not at all when no admin key is configured.
/// </summary>
[Collection(ClusterCollection.Name), Trait("Category", "Cluster")]
public sealed class DashboardAccessTests(PostgresDatabase database) : IClassFixture<PostgresDatabase>
{
    private const string AdminKey = "elab_admin_dashboard-test";

    [SkippableFact]
    public async Task Dashboard_AnswersOnlyTheAdminKey_AndIsNotServedWithoutOne()
    {
        database.SkipIfUnavailable();
        var clusterId = $"dashboard-{Guid.NewGuid():N}";
        var settings = new Dictionary<string, string>
        {
            ["ConnectionStrings:ElectraLab"] = database.ConnectionString,
            ["Orleans:ClusterId"] = clusterId,
            ["Orleans:ServiceId"] = clusterId,
            ["Orleans:Dashboard:Enabled"] = "true",
            ["ElectraLab:Silo:HostApi"] = "true",
            ["ElectraLab:Slots:Cpu"] = "1",
            ["ElectraLab:Slots:Cuda"] = "off",
            ["ElectraLab:Api:AdminKey"] = AdminKey,
            ["Logging:LogLevel:Default"] = "Warning",
        };
        var port = SiloProcess.FreePort();
        using (var silo = SiloProcess.Start("dashboard", settings, port))
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
            await Wait.UntilAsync(() => StatusAsync(http, "/healthz"), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(90), "the silo");

            foreach (var path in new[] { "/dashboard", "/dashboard/", "/dashboard/Reminders", "/dashboard/Trace", "/Dashboard/Trace" })
            {
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(http, path));
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(http, path, r => r.Headers.Add("X-Api-Key", "elab_wrong")));
                Assert.Equal(HttpStatusCode.Unauthorized, await StatusAsync(http, path, r => r.Headers.Authorization = Basic("admin", "elab_wrong")));
            }
            // (The dashboard's root redirects to "/dashboard/"; a redirected request loses its Authorization header.)
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/dashboard/", r => r.Headers.Add("X-Api-Key", AdminKey)));
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(http, "/dashboard/", r => r.Headers.Authorization = Basic("anyone", AdminKey)));
            using var challenge = await http.GetAsync("/dashboard");
            Assert.Equal("Basic", challenge.Headers.WwwAuthenticate.Single().Scheme);
            Assert.False(silo.HasExited);
        }

        settings.Remove("ElectraLab:Api:AdminKey");
        settings["ElectraLab:Silo:HostApi"] = "false";
        // A cluster of its own: joining the first one would mean waiting for the killed silo to be voted dead.
        settings["Orleans:ClusterId"] = settings["Orleans:ServiceId"] = $"{clusterId}-bare";
        var bare = SiloProcess.FreePort();
        using (SiloProcess.Start("no-admin-key", settings, bare))
        {
            using var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{bare}") };
            await Wait.UntilAsync(() => StatusAsync(http, "/healthz"), s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(90), "the second silo");
            Assert.Equal(HttpStatusCode.NotFound, await StatusAsync(http, "/dashboard"));
        }
    }

    private static AuthenticationHeaderValue Basic(string user, string password) =>
        new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{user}:{password}")));

    private static async Task<HttpStatusCode> StatusAsync(HttpClient http, string path, Action<HttpRequestMessage>? configure = null)
    {
        try
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, path);
            configure?.Invoke(request);
            using var response = await http.SendAsync(request);
            return response.StatusCode;
        }
        catch (HttpRequestException)
        {
            return 0;
        }
    }
}
