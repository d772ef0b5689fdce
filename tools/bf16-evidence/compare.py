"""Step-by-step loss gaps between two pre-training runs' metrics.jsonl (fp32 first), after the warm-up steps."""
import json
import sys


def load(path):
    return {row["step"]: row for row in map(json.loads, open(path))}


def total(row):
    return row["mlm_loss"] + 50 * row["disc_loss"]  # the official loss: MLM + disc_weight 50 x discriminator


fp32, bf16, warmup = load(sys.argv[1]), load(sys.argv[2]), int(sys.argv[3])
steps = sorted(s for s in fp32 if s > warmup and s in bf16)
for name, value in [("mlm_loss", lambda r: r["mlm_loss"]), ("disc_loss", lambda r: r["disc_loss"]), ("total", total)]:
    gaps = [abs(value(bf16[s]) - value(fp32[s])) / value(fp32[s]) for s in steps]
    print(f"{name}: {len(gaps)} steps, max relative gap {max(gaps):.2%}, mean {sum(gaps) / len(gaps):.2%}")
for start in range(warmup, steps[-1], 60):
    window = [s for s in steps if start < s <= start + 60]
    a = sum(total(fp32[s]) for s in window) / len(window)
    b = sum(total(bf16[s]) for s in window) / len(window)
    print(f"steps {window[0]}-{window[-1]}: total loss fp32 {a:.4f}, bf16-mixed {b:.4f} ({(b - a) / a:+.2%})")
