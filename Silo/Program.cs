// The ElectraLab silo: `dotnet run --project Silo` (see README "Running a silo"). Configuration only through standard
// .NET configuration; the dashboard is served at /dashboard on the host's Urls (default http://localhost:5000).
using ElectraLab.Silo;
using Orleans.Dashboard;

var builder = WebApplication.CreateBuilder(args);
builder.AddElectraLabSilo();
var app = builder.Build();
if (app.Configuration.GetValue("Orleans:Dashboard:Enabled", true)) app.MapOrleansDashboard("/dashboard");
app.MapGet("/healthz", () => Results.Ok("ok"));
app.Run();
