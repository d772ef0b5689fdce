// The end of a pre-training run as Hugging Face folders: hf/discriminator and hf/generator, each with its model files
// and the tokenizer it was trained with. `electralab pretrain` writes them into its run folder; a silo's worker writes
// them into its job folder and stores them as an hf-export checkpoint, so a model trained on the cluster leaves it
// as a model (GET /api/experiments/{id}/models).
using ElectraLab.Electra.Data.Pretraining;
using ElectraLab.Electra.Data.Tokenization;
using ElectraLab.Electra.Pretraining;

namespace ElectraLab.Electra.Checkpoints;

public static class PretrainedHfExport
{
    /// <summary>The names of the folders under the export root, one per model.</summary>
    public static readonly IReadOnlyList<string> Models = ["discriminator", "generator"];

    public static void Write(Pretrainer trainer, string hfRoot, string dataDir, PretrainingDataset dataset, int maxSeqLength)
    {
        trainer.ExportHf(hfRoot);
        WriteTokenizers(hfRoot, dataDir, dataset, maxSeqLength);
    }

    /// <summary>
    /// Completes the exported folders with the tokenizer the model was trained with: the dataset's vocabulary and
    /// casing, and model_max_length = the pre-training max_seq_length.
    /// </summary>
    public static void WriteTokenizers(string hfRoot, string dataDir, PretrainingDataset dataset, int maxSeqLength)
    {
        var vocab = Path.IsPathRooted(dataset.VocabFile) ? dataset.VocabFile : Path.Combine(dataDir, dataset.VocabFile);
        var tokenizer = WordPieceTokenizer.FromVocabFile(vocab, dataset.LowerCase, dataset.StripAccents, dataset.MaxInputCharsPerWord);
        foreach (var model in Models)
        {
            var folder = Path.Combine(hfRoot, model);
            if (File.Exists(Path.Combine(folder, HfModelDirectory.ConfigFile))) HfTokenizerFiles.Write(folder, tokenizer, maxSeqLength);
        }
    }
}
