namespace ElectraLab.Storage.Queries;

public sealed record Page<T>(IReadOnlyList<T> Items, long Total, int Offset, int Limit);
