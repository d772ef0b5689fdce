namespace ElectraLab.Tests.Support;

/// <summary>Where the repository and ../shared are, found from the test binary so any working directory works.</summary>
public static class TestPaths
{
    public static string RepoRoot { get; } = FindRepoRoot();

    public static string Shared => Path.GetFullPath(Path.Combine(RepoRoot, "..", "shared"));

    public static string HfFixtures =>
        Environment.GetEnvironmentVariable("ELECTRALAB_HF_FIXTURES") is { Length: > 0 } dir
            ? Path.GetFullPath(dir)
            : Path.Combine(Shared, "fixtures", "hf-electra");

    public static string TempDirectory(string name)
    {
        var dir = Path.Combine(Path.GetTempPath(), "electralab-tests", $"{name}-{Guid.NewGuid():N}");
        Directory.CreateDirectory(dir);
        return dir;
    }

    // The build stamps the repository root into the assembly, so tests work from any output folder
    // (including `dotnet build --artifacts-path` outside the tree).
    private static string FindRepoRoot()
    {
        var stamped = typeof(TestPaths).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "RepoRoot")?.Value;
        if (stamped is not null && File.Exists(Path.Combine(stamped, "ElectraLab.sln"))) return Path.GetFullPath(stamped);
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "ElectraLab.sln"))) return dir.FullName;
        throw new InvalidOperationException($"ElectraLab.sln not found above {AppContext.BaseDirectory}");
    }
}
