// Which networks a pre-training step trains: both (joint), or one stage of two-stage training (Paper §3.5).
namespace ElectraLab.Config.Pretraining;

public enum PretrainingPhase
{
    Joint,
    GeneratorOnly,
    DiscriminatorOnly,
}
