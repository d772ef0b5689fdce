// The official schedule (E-opt L36-45): polynomial decay from the peak to 0 over all steps, MULTIPLIED by
// min(1, step / warmup). Warmup and decay overlap, and step 0 has learning rate 0.
namespace ElectraLab.Electra.Training;

public sealed record LearningRateSchedule(double Peak, int TotalSteps, int WarmupSteps, double DecayPower = 1.0)
{
    public double At(long step)
    {
        double clamped = Math.Min(step, TotalSteps);
        double decayed = Peak * Math.Pow(1.0 - clamped / TotalSteps, DecayPower);
        double warm = WarmupSteps > 0 ? Math.Min(1.0, (double)step / WarmupSteps) : 1.0;
        return decayed * warm;
    }
}
