using ElectraLab.Observability;

namespace ElectraLab.Silo;

/// <summary>
/// The Orleans dashboard shows every grain (experiment ids of every team, in its reminder and grain views) and streams
/// the silo's log, so only the admin may see it: with the admin key in <c>X-Api-Key</c>, or as the password of HTTP
/// Basic authentication (any user name), which a browser asks for. Without an admin key configured
/// (<c>ElectraLab:Api:AdminKey</c>) the dashboard is not served at all.
/// </summary>
public static class DashboardAccess
{
    public const string Path = "/dashboard";
    public const string AdminKeySetting = "ElectraLab:Api:AdminKey";

    public static bool IsServed(IConfiguration configuration) =>
        configuration.GetValue("Orleans:Dashboard:Enabled", true) && !string.IsNullOrEmpty(configuration[AdminKeySetting]);

    /// <summary>Answers 401 (with a Basic challenge) for any /dashboard request that does not carry the admin key.</summary>
    public static IApplicationBuilder UseDashboardAccess(this IApplicationBuilder app, IConfiguration configuration)
    {
        var adminKey = configuration[AdminKeySetting];
        return app.UseWhen(context => context.Request.Path.StartsWithSegments(Path), branch => branch.Use(async (context, next) =>
        {
            if (adminKey is { Length: > 0 } && AdminKeyCheck.Carries(context.Request, adminKey))
            {
                await next(context);
                return;
            }
            context.Response.StatusCode = StatusCodes.Status401Unauthorized;
            context.Response.Headers.WWWAuthenticate = "Basic realm=\"ElectraLab dashboard (password: the admin key)\", charset=\"UTF-8\"";
        }));
    }
}
