using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace ElectraLab.Storage;

/// <summary>Lets <c>dotnet ef migrations add</c> build the model without a running host or database.</summary>
internal sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<ElectraLabDbContext>
{
    public ElectraLabDbContext CreateDbContext(string[] args) =>
        new(new DbContextOptionsBuilder<ElectraLabDbContext>()
            .UseNpgsql("Host=localhost;Database=electralab_design")
            .Options);
}
