namespace ElectraLab.Storage.Results;

public readonly record struct EvaluationResultRow(
    Guid ExperimentId, long CheckpointStep, string Task, string Metric, int Seed, double Value, Guid? JobId = null);
