// The ElectraLab silo: `dotnet run --project Silo` (README "Running a silo"). Configured only through standard .NET
// configuration; the Orleans dashboard is served at /dashboard on the host's Urls (default http://localhost:5000),
// and with ElectraLab:Silo:HostApi=true the HTTP API and web pages too (see ElectraLabHost).
// An explicit Main rather than top-level statements: the Api assembly this references has a public global Program
// (for WebApplicationFactory), and a second generated Program would collide with it.
using ElectraLab.Grains.Jobs.Workers;

namespace ElectraLab.Silo;

public static class SiloProgram
{
    public static int Main(string[] args)
    {
        // Before anything can multiply a matrix (workers train here): oneMKL decides its kernels once, at its first matmul.
        ElectraLab.Electra.MklVendorCheck.UseFeatureDispatch();
        // `ElectraLab.Silo worker`: one job's worker process, started and supervised by a silo (Grains/Jobs/Workers).
        if (args is [JobWorker.Command]) return JobWorker.Run();
        ElectraLabHost.Build(WebApplication.CreateBuilder(args)).Run();
        return 0;
    }
}
