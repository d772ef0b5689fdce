namespace ElectraLab.Storage.Metrics;

public readonly record struct MetricPoint(Guid ExperimentId, string Name, long Step, double Value, Guid? JobId, DateTimeOffset Time);
