// The ElectraLab HTTP API: `dotnet run --project Api`. Configured through standard .NET configuration
// (ConnectionStrings:ElectraLab, ElectraLab:Api:*, Orleans:*); see ApiHostingExtensions.
using ElectraLab.Api;

var builder = WebApplication.CreateBuilder(args);
builder.AddElectraLabApi();
var app = builder.Build();
app.MapElectraLabApi();
app.Run();

/// <summary>The entry point, public so tests can host the API with WebApplicationFactory&lt;Program&gt;.</summary>
public partial class Program;
