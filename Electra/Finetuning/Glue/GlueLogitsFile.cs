// A GLUE dev set's raw classifier outputs, one row per example in file order: `index<TAB>logit_0<TAB>logit_1...`.
// Written by `electralab eval model --logits` so another implementation (Hugging Face's, tools/hf-parity) can be
// compared with ElectraLab on the numbers themselves, not only on the argmax. Floats are printed round-trip ("R"),
// so the file holds exactly the float32 values the model produced.
using System.Globalization;
using System.Text;

namespace ElectraLab.Electra.Finetuning.Glue;

public static class GlueLogitsFile
{
    public static void Write(string path, IReadOnlyList<float[]> logits)
    {
        var width = logits.Count == 0 ? 0 : logits[0].Length;
        var text = new StringBuilder();
        text.Append("index");
        for (int j = 0; j < width; j++) text.Append("\tlogit_").Append(j.ToString(CultureInfo.InvariantCulture));
        text.Append('\n');
        for (int i = 0; i < logits.Count; i++)
        {
            text.Append(i.ToString(CultureInfo.InvariantCulture));
            foreach (var v in logits[i]) text.Append('\t').Append(v.ToString("R", CultureInfo.InvariantCulture));
            text.Append('\n');
        }
        File.WriteAllText(path, text.ToString());
    }

    /// <summary>The rows of a file <see cref="Write"/> wrote, in order.</summary>
    public static List<float[]> Read(string path) =>
        File.ReadLines(path).Skip(1).Where(l => l.Length > 0)
            .Select(l => l.Split('\t').Skip(1).Select(v => float.Parse(v, CultureInfo.InvariantCulture)).ToArray()).ToList();
}
