// The ElectraLab silo: `dotnet run --project Silo` (README "Running a silo"). Configured only through standard .NET
// configuration; the Orleans dashboard is served at /dashboard on the host's Urls (default http://localhost:5000).
// An API co-hosted later calls the same two extension methods on its own WebApplicationBuilder and app.
using ElectraLab.Silo;

var builder = WebApplication.CreateBuilder(args);
builder.AddElectraLabSilo();
var app = builder.Build();
app.MapElectraLabSilo(app.Configuration);
app.Run();
