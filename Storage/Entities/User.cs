namespace ElectraLab.Storage.Entities;

public sealed class User
{
    public Guid Id { get; set; }
    public Guid TeamId { get; set; }
    public required string Name { get; set; }
    public required string Email { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
}
