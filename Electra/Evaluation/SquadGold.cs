namespace ElectraLab.Electra.Evaluation;

/// <summary>
/// One question as the official SQuAD scorers see it: its id and the texts of its gold answers, in dataset
/// order. An empty list is a v2.0 question without an answer.
/// </summary>
public sealed record SquadGold(string Id, IReadOnlyList<string> Answers);
