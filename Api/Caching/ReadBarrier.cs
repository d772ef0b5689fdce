namespace ElectraLab.Api.Caching;

/// <summary>
/// Many concurrent reads share one marker round trip (<see cref="ReadModelChangeListener.RoundTripAsync"/>). A read
/// that arrives while a marker is out waits for the next one, since the marker in flight may have been sent before
/// the write this read must see committed. Under load that is one small query per round trip, not one per request.
/// </summary>
public sealed class ReadBarrier(ReadModelChangeListener changes)
{
    private readonly Lock _gate = new();
    private TaskCompletionSource<bool>? _waiting;
    private bool _running;

    /// <summary>True when the cache may be trusted for this read (see <see cref="ReadModelChangeListener"/>).</summary>
    public Task<bool> PassAsync(CancellationToken cancellationToken)
    {
        if (!changes.IsListening) return Task.FromResult(false);
        Task<bool> passed;
        var start = false;
        lock (_gate)
        {
            _waiting ??= new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
            passed = _waiting.Task;
            if (!_running) _running = start = true;
        }
        if (start) _ = Task.Run(SendMarkersAsync, CancellationToken.None);
        return passed.WaitAsync(cancellationToken);
    }

    private async Task SendMarkersAsync()
    {
        while (true)
        {
            TaskCompletionSource<bool> batch;
            lock (_gate)
            {
                if (_waiting is null)
                {
                    _running = false;
                    return;
                }
                batch = _waiting;
                _waiting = null;
            }
            // Not the requests' tokens: the marker serves the whole batch, whoever of it leaves.
            batch.TrySetResult(await changes.RoundTripAsync(CancellationToken.None));
        }
    }
}
