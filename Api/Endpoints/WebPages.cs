using System.Reflection;

namespace ElectraLab.Api.Endpoints;

/// <summary>
/// The web pages: plain HTML, CSS and JavaScript embedded in this assembly (nothing is fetched from the internet). The
/// pages hold no data; their script calls the API with the key the user enters, kept in the browser's localStorage.
/// </summary>
public static class WebPages
{
    private static readonly Dictionary<string, (byte[] Content, string Type)> Files = Load();

    public static IEndpointRouteBuilder MapWebPages(this IEndpointRouteBuilder endpoints)
    {
        var group = endpoints.MapGroup("/").AllowAnonymous().ExcludeFromDescription();
        group.MapGet("/", () => TypedResults.Redirect("/ui/leaderboard"));
        group.MapGet("/ui/leaderboard", () => File("leaderboard.html"));
        group.MapGet("/ui/experiments/{id:guid}", (Guid id) => File("experiment.html"));
        group.MapGet("/ui/runs", () => File("runs.html"));
        group.MapGet("/ui/compare", () => File("compare.html"));
        group.MapGet("/ui/sweeps", () => File("sweeps.html"));
        group.MapGet("/ui/sweeps/{id:guid}", (Guid id) => File("sweep.html"));
        group.MapGet("/ui/sweeps/{id:guid}/report", (Guid id) => File("report.html"));
        group.MapGet("/favicon.ico", () => TypedResults.NoContent());
        group.MapGet("/ui/app.js", () => File("app.js"));
        group.MapGet("/ui/pages.js", () => File("pages.js"));
        group.MapGet("/ui/app.css", () => File("app.css"));
        return endpoints;
    }

    private static IResult File(string name) => TypedResults.Bytes(Files[name].Content, Files[name].Type);

    private static Dictionary<string, (byte[], string)> Load()
    {
        var assembly = typeof(WebPages).Assembly;
        const string prefix = "ElectraLab.Api.Web.";
        return assembly.GetManifestResourceNames().Where(n => n.StartsWith(prefix, StringComparison.Ordinal)).ToDictionary(
            n => n[prefix.Length..],
            n => (Read(assembly, n), Path.GetExtension(n) switch
            {
                ".html" => "text/html; charset=utf-8",
                ".js" => "text/javascript; charset=utf-8",
                _ => "text/css; charset=utf-8",
            }));
    }

    private static byte[] Read(Assembly assembly, string name)
    {
        using var stream = assembly.GetManifestResourceStream(name)!;
        using var buffer = new MemoryStream();
        stream.CopyTo(buffer);
        return buffer.ToArray();
    }
}
