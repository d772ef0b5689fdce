namespace ElectraLab.Storage.Entities;

public sealed class Sweep
{
    public Guid Id { get; set; }
    public Guid TeamId { get; set; }
    public required string Name { get; set; }
    /// <summary>The submitted spec as JSON (jsonb).</summary>
    public required string Spec { get; set; }
    public Guid? CreatedBy { get; set; }
    public DateTimeOffset CreatedAt { get; set; }
    public string Status { get; set; } = "submitted";
}
