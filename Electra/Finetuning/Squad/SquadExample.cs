namespace ElectraLab.Electra.Finetuning.Squad;

/// <summary>
/// One question over its paragraph's doc tokens. For training, StartWord/EndWord are the doc tokens that hold
/// the first gold answer (`start_position`/`end_position` of the official reader); they are -1 for an
/// unanswerable question and for evaluation examples. Answers keeps every gold text for scoring.
/// </summary>
public sealed record SquadExample(
    int Index,
    string Id,
    string Question,
    SquadDocument Document,
    IReadOnlyList<string> Answers,
    bool IsImpossible,
    string? OrigAnswerText,
    int StartWord,
    int EndWord);
