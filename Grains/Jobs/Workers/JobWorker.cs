// The worker process: `ElectraLab.Silo worker`, started by a silo for one job. It runs the job's training with the
// ELECTRA core and reports over the pipe (WorkerProtocol); the silo owns everything else (the database, the grains,
// checkpoint uploads). A native crash here ends this process and one attempt of one job, never the silo.
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using ElectraLab.Electra;
using ElectraLab.Electra.Checkpoints;
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Pretraining;
using ElectraLab.Config.Pretraining;

namespace ElectraLab.Grains.Jobs.Workers;

public static class JobWorker
{
    /// <summary>The first command-line argument that makes a host executable run as a worker.</summary>
    public const string Command = "worker";

    public const string PretrainKind = "pretrain";
    public const string FinetuneEvalKind = "finetune-eval";

    /// <summary>Runs one job from the start message on stdin to the done message on stdout. Returns the exit code.</summary>
    public static int Run()
    {
        var protocol = new StreamWriter(Console.OpenStandardOutput()) { AutoFlush = true };
        // Anything else printed (ours or a library's) is log, not protocol.
        Console.SetOut(Console.Error);
        using var pipe = new WorkerPipe(Console.In, protocol);
        WorkerMessage done;
        try
        {
            var start = pipe.ReadStart();
            Console.Error.WriteLine($"matmul: {MklVendorCheck.UseFeatureDispatch()}");
            done = start.Kind switch
            {
                PretrainKind => Pretrain(start, pipe),
                FinetuneEvalKind => FinetuneEval(start, pipe),
                _ => throw new JobInputException($"unknown job kind '{start.Kind}'"),
            };
        }
        catch (OperationCanceledException) when (pipe.Cancellation.IsCancellationRequested)
        {
            done = new WorkerMessage(WorkerMessageTypes.Done) { State = "stopped" };
        }
        catch (Exception e)
        {
            var permanent = JobFailures.IsCausedByInput(e);
            Console.Error.WriteLine(permanent ? $"cannot run: {JobFailures.Reason(e)}" : e.ToString());
            done = new WorkerMessage(WorkerMessageTypes.Done) { State = "failed", Error = JobFailures.Reason(e), Permanent = permanent };
        }
        pipe.Send(done);
        return 0;
    }

    private static WorkerMessage Pretrain(WorkerStart start, WorkerPipe pipe)
    {
        var config = PretrainingConfigLoader.FromJson(start.ConfigJson);
        config = config with { Device = start.Device, NumThreads = config.NumThreads > 0 ? Math.Min(config.NumThreads, start.Threads) : start.Threads };
        var dataDir = config.DataDir ?? throw new JobInputException("config key 'data_dir' is required");
        if (!Directory.Exists(dataDir)) throw new JobInputException($"data_dir '{dataDir}' does not exist on this silo's machine");
        using var trainer = new Pretrainer(config, DatasetBatchSource.Factory(dataDir, config.TrainBatchSize, config.Seed),
            DatasetBatchSource.SpecialTokensOf(dataDir));
        Console.Error.WriteLine($"precision: {trainer.PrecisionDescription}");
        if (start.ResumeFrom is { } folder)
        {
            trainer.LoadCheckpoint(folder);
            Console.Error.WriteLine($"resumed from step {trainer.Step}");
        }
        // The ceiling for MFU: a short square-matmul measurement in this process, on this device and dtype (~0.3 s).
        var matmul = MatmulRate.Measure(trainer.Device, trainer.ComputeDType ?? TorchSharp.torch.ScalarType.Float32, seconds: 0.25);
        pipe.Send(new WorkerMessage(WorkerMessageTypes.Progress) { Step = trainer.Step, TrainFlops = trainer.TrainFlops, MatmulGflops = matmul });
        var observer = new PipeObserver(pipe, start.SegfaultAtStep);
        var run = new PretrainingRun(trainer, new PretrainingRunOptions(start.WorkDirectory, CheckpointInterval: start.CheckpointInterval,
            Rungs: start.Rungs, FlopMilestones: start.FlopMilestones), observer);
        var result = run.Run(pipe.Cancellation);
        if (result.Outcome == PretrainingRunOutcome.Finished)
        {
            // The trained models leave the cluster as Hugging Face folders: stored as an hf-export checkpoint.
            var hf = Path.Combine(start.WorkDirectory, "hf");
            PretrainedHfExport.Write(trainer, hf, dataDir, PretrainingDataset.Load(dataDir), config.MaxSeqLength);
            pipe.Request(new WorkerMessage(WorkerMessageTypes.Checkpoint) { Folder = hf, Step = result.Step, Kind = Storage.Entities.Checkpoint.HuggingFace });
        }
        var state = result.Outcome switch
        {
            PretrainingRunOutcome.Finished => "succeeded",
            PretrainingRunOutcome.StoppedEarly => "stopped-early",
            _ => "stopped",
        };
        return new WorkerMessage(WorkerMessageTypes.Done) { State = state, Step = result.Step, TrainFlops = result.TrainFlops };
    }

    private static WorkerMessage FinetuneEval(WorkerStart start, WorkerPipe pipe)
    {
        // What the job is doing, for the live views: "SST-2 seed 2/5: train 120/800".
        var sinceProgress = Stopwatch.StartNew();
        void Progress(Electra.Finetuning.FinetuningProgress p)
        {
            if (sinceProgress.ElapsedMilliseconds < 250 && p.Step != p.TotalSteps) return;
            sinceProgress.Restart();
            var detail = string.Create(CultureInfo.InvariantCulture,
                $"{start.Task} seed {p.SeedIndex + 1}/{p.SeedCount}: {p.Phase} {p.Step}/{p.TotalSteps}");
            pipe.Send(new WorkerMessage(WorkerMessageTypes.Progress) { Step = p.Step, Detail = detail });
        }
        var evaluation = new ElectraFinetuneEvaluator().Evaluate(new FinetuneEvalRequest(
            start.CheckpointFolder ?? throw new JobInputException("a finetune-eval job needs a checkpoint"), start.ConfigJson,
            start.Task ?? throw new JobInputException("a finetune-eval job needs a task"), start.Seeds ?? [1], start.GlueDataDirectory,
            start.SquadDataDirectory, start.FinetuneConfigJson, start.Device, start.Threads, start.WorkDirectory, start.KeepAllSeeds), pipe.Cancellation, Progress);
        if (pipe.Cancellation.IsCancellationRequested) return new WorkerMessage(WorkerMessageTypes.Done) { State = "stopped" };
        return new WorkerMessage(WorkerMessageTypes.Done)
        {
            State = "succeeded",
            Scores = evaluation.Scores.Select(s => new WorkerScore(s.Seed, s.Metric, s.Value)).ToList(),
        };
    }

    /// <summary>The run's events as protocol messages; the ones the silo must act on wait for its reply.</summary>
    private sealed class PipeObserver(WorkerPipe pipe, long? segfaultAtStep) : IPretrainingObserver
    {
        private readonly Stopwatch _sinceProgress = Stopwatch.StartNew();

        public void Progress(long step, double trainFlops)
        {
            if (step == segfaultAtStep) NativeFault.Segfault();
            // Often enough for a live view and the silo's hang detection, rarely enough to cost nothing.
            if (_sinceProgress.ElapsedMilliseconds < 250) return;
            _sinceProgress.Restart();
            pipe.Send(new WorkerMessage(WorkerMessageTypes.Progress) { Step = step, TrainFlops = trainFlops });
        }

        public void Metrics(TrainingMetrics metrics) => pipe.Send(new WorkerMessage(WorkerMessageTypes.Metrics)
        {
            Step = metrics.Step,
            TrainFlops = metrics.TrainFlops,
            Metrics = metrics.AsPairs().ToDictionary(p => p.Key, p => p.Value),
        });

        public void CheckpointSaved(string folder, long step, CheckpointKind kind) =>
            pipe.Request(new WorkerMessage(WorkerMessageTypes.Checkpoint)
            {
                Folder = folder,
                Step = step,
                Kind = kind == CheckpointKind.Milestone ? JobRunner.MilestoneKind : Storage.Entities.Checkpoint.TrainingState,
            });

        public bool RungReached(long step, TrainingMetrics metrics) =>
            pipe.Request(new WorkerMessage(WorkerMessageTypes.Rung)
            {
                Step = step,
                Metrics = metrics.AsPairs().ToDictionary(p => p.Key, p => p.Value),
            }).Continue;

        public void MilestoneReached(long step) => pipe.Request(new WorkerMessage(WorkerMessageTypes.Milestone) { Step = step });

        public bool SaveWhenStopped => pipe.KeepProgress;
    }

    /// <summary>
    /// The worker's end of the pipe. A reader thread takes the silo's lines: a cancel trips <see cref="Cancellation"/>,
    /// replies wait for <see cref="Request"/>. The silo closing the pipe (it died or gave up on us) cancels too, so an
    /// orphaned worker stops at its next step instead of training for nobody.
    /// </summary>
    private sealed class WorkerPipe : IDisposable
    {
        private readonly TextReader _input;
        private readonly TextWriter _output;
        private readonly BlockingCollection<WorkerMessage> _replies = new();
        private readonly CancellationTokenSource _cancel = new();
        private readonly Lock _sending = new();
        private readonly TaskCompletionSource<WorkerStart> _start = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private volatile bool _keepProgress;

        public WorkerPipe(TextReader input, TextWriter output)
        {
            _input = input;
            _output = output;
            new Thread(ReadLoop) { IsBackground = true, Name = "worker-pipe" }.Start();
        }

        public CancellationToken Cancellation => _cancel.Token;

        /// <summary>The cancel asked to checkpoint the steps since the last checkpoint (the silo is shutting down).</summary>
        public bool KeepProgress => _keepProgress;

        public WorkerStart ReadStart() => _start.Task.GetAwaiter().GetResult();

        public void Send(WorkerMessage message)
        {
            var line = WorkerProtocol.Marker + WorkerProtocol.Encode(message);
            lock (_sending)
            {
                try
                {
                    _output.WriteLine(line);
                }
                catch (IOException)
                {
                    // The silo is gone; the cancellation its closed pipe caused ends the job.
                }
            }
        }

        public WorkerMessage Request(WorkerMessage message)
        {
            Send(message);
            try
            {
                return _replies.Take();
            }
            catch (InvalidOperationException)
            {
                throw new OperationCanceledException("the silo closed the pipe", _cancel.Token);
            }
        }

        public void Dispose()
        {
            _cancel.Dispose();
            _replies.Dispose();
        }

        private void ReadLoop()
        {
            try
            {
                while (_input.ReadLine() is { } line)
                {
                    if (line.Length == 0) continue;
                    var message = WorkerProtocol.Decode(line);
                    switch (message.Type)
                    {
                        case WorkerMessageTypes.Start:
                            _start.TrySetResult(message.Start ?? throw new InvalidDataException("a start message without a job"));
                            break;
                        case WorkerMessageTypes.Cancel:
                            _keepProgress = message.Continue;
                            _cancel.Cancel();
                            break;
                        default:
                            _replies.Add(message);
                            break;
                    }
                }
            }
            catch (Exception e) when (e is IOException or InvalidDataException or System.Text.Json.JsonException)
            {
                Console.Error.WriteLine($"worker pipe: {e.Message}");
            }
            _start.TrySetException(new InvalidDataException("the silo closed the pipe before sending the job"));
            _replies.CompleteAdding();
            _cancel.Cancel();
        }
    }
}
