namespace ElectraLab.Storage.Entities;

public sealed class Team
{
    public Guid Id { get; set; }
    public required string Name { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
