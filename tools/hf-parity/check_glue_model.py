#!/usr/bin/env python3
"""Does Hugging Face's own code, given a fine-tuned GLUE model folder downloaded from ElectraLab, see the same tokens
and make the same dev predictions as ElectraLab?

Inputs (see README.md for how to make them):
  --model DIR       the downloaded folder (config.json, model.safetensors, vocab.txt, tokenizer_config.json, ...)
  --tokens FILE     `electralab eval tokens` output: ElectraLab's fine-tuning inputs for every dev example, with texts
  --predictions DIR `electralab eval model --logits` output: <TASK>.tsv (predictions) and <TASK>.logits.tsv
  HF files          --hf-tokenization-bert, --hf-tokenization-utils, --hf-modeling-electra (or $HF_TOKENIZATION_BERT_PY,
                    $HF_TOKENIZATION_UTILS_PY, $HF_ELECTRA_PY) and --baseline-dir (the pytorch-baseline tool: hfstub/)

Checks, each over every dev example:
  1. tokens      HF's ElectraTokenizer (BasicTokenizer + WordpieceTokenizer from HF's file, configured from the folder)
                 on the same texts gives ElectraLab's input_ids, token_type_ids and attention_mask exactly
  2. predictions HF's ElectraForSequenceClassification on HF's own inputs: argmax -> id2label equals ElectraLab's
                 prediction file row by row
  3. logits      max |HF logit - ElectraLab logit| is within --logit-tolerance (when the logits file is there)
Prints a summary (and a JSON line with the figures) and exits 1 on any mismatch.
"""
import argparse
import csv
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

from hf_classifier import load_classifier, predict_logits  # noqa: E402
from hf_tokenizer import HfElectraTokenizer  # noqa: E402


def read_tokens(path):
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def read_tsv_column(path, column):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quotechar=None))
    header, body = rows[0], rows[1:]
    return [r[header.index(column)] for r in body]


def read_logits(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t", quotechar=None))
    return [[float(v) for v in r[1:]] for r in rows[1:]]


def max_seq_length_of(folder, tokenizer):
    """The max_seq_length ElectraLab fine-tuned with: finetuning.json's config, else the tokenizer's model_max_length."""
    info = os.path.join(folder, "finetuning.json")
    if os.path.exists(info):
        with open(info, encoding="utf-8") as f:
            value = json.load(f).get("config", {}).get("max_seq_length")
        if value:
            return int(value), "finetuning.json"
    if tokenizer.model_max_length:
        return int(tokenizer.model_max_length), "tokenizer_config.json model_max_length"
    raise SystemExit(f"{folder}: neither finetuning.json nor tokenizer_config.json says the max_seq_length")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--model", required=True)
    ap.add_argument("--tokens", required=True)
    ap.add_argument("--predictions", required=True, help="the folder `electralab eval model --out` wrote")
    ap.add_argument("--task", help="the task name of the prediction files (default: the tokens file's)")
    ap.add_argument("--hf-tokenization-bert", default=os.environ.get("HF_TOKENIZATION_BERT_PY"))
    ap.add_argument("--hf-tokenization-utils", default=os.environ.get("HF_TOKENIZATION_UTILS_PY"))
    ap.add_argument("--hf-modeling-electra", default=os.environ.get("HF_ELECTRA_PY"))
    ap.add_argument("--baseline-dir", default=os.environ.get("PYTORCH_BASELINE_DIR",
                                                             os.path.join(HERE, "..", "..", "..", "shared", "tools", "pytorch-baseline")))
    ap.add_argument("--max-length", type=int, help="the max_seq_length ElectraLab was run with, when `--set max_seq_length=` overrode the folder's")
    ap.add_argument("--logit-tolerance", type=float, default=1e-4)
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--show", type=int, default=5, help="mismatches to print in full")
    a = ap.parse_args()
    for name in ("hf_tokenization_bert", "hf_tokenization_utils", "hf_modeling_electra"):
        if not getattr(a, name) or not os.path.exists(getattr(a, name)):
            raise SystemExit(f"--{name.replace('_', '-')}: give the path of Hugging Face's file (README.md says where to get it)")

    import torch
    torch.set_num_threads(a.threads)

    rows = read_tokens(a.tokens)
    task = a.task or rows[0]["task"]
    rows = [r for r in rows if r["task"] == task]
    tokenizer = HfElectraTokenizer(a.model, a.hf_tokenization_bert, a.hf_tokenization_utils)
    max_length, max_length_source = (a.max_length, "--max-length") if a.max_length else max_seq_length_of(a.model, tokenizer)
    ok = True

    # 1. tokens
    hf_inputs = [tokenizer.encode(r["text_a"], r.get("text_b"), max_length) for r in rows]
    token_mismatches = []
    for r, (ids, types, mask) in zip(rows, hf_inputs):
        if (ids, types, mask) != (r["input_ids"], r["token_type_ids"], r["attention_mask"]):
            token_mismatches.append((r, ids, types, mask))
    print(f"tokens: {len(rows) - len(token_mismatches)}/{len(rows)} {task} dev examples identical "
          f"(max_length {max_length} from {max_length_source}; do_lower_case {tokenizer.do_lower_case}, "
          f"strip_accents {tokenizer.basic_tokenizer.strip_accents})")
    for r, ids, types, mask in token_mismatches[:a.show]:
        print(f"  index {r['index']}: {r['text_a']!r} / {r.get('text_b')!r}")
        print(f"    electralab {tokenizer.convert_ids_to_tokens(r['input_ids'])} types {r['token_type_ids']}")
        print(f"    hf         {tokenizer.convert_ids_to_tokens(ids)} types {types}")
    ok &= not token_mismatches

    # 2. predictions, from HF's model on HF's own inputs
    model, config = load_classifier(a.model, a.hf_modeling_electra, os.path.abspath(a.baseline_dir))
    hf_logits = predict_logits(model, hf_inputs)
    hf_predictions = [config.id2label[max(range(len(l)), key=lambda j: l[j])] for l in hf_logits]
    ours = read_tsv_column(os.path.join(a.predictions, f"{task}.tsv"), "prediction")
    if len(ours) != len(hf_predictions):
        raise SystemExit(f"{a.predictions}/{task}.tsv has {len(ours)} rows, the tokens file {len(hf_predictions)}")
    disagree = [i for i, (h, o) in enumerate(zip(hf_predictions, ours)) if h != o]
    counts = {label: hf_predictions.count(label) for label in sorted(set(hf_predictions))}
    print(f"predictions: {len(ours) - len(disagree)}/{len(ours)} agree (HF predicts {counts})")
    for i in disagree[:a.show]:
        print(f"  index {rows[i]['index']}: HF {hf_predictions[i]} logits {hf_logits[i]}, ElectraLab {ours[i]}")
    ok &= not disagree

    # 3. logits
    logits_path = os.path.join(a.predictions, f"{task}.logits.tsv")
    max_diff = None
    if os.path.exists(logits_path):
        theirs = read_logits(logits_path)
        max_diff = max(abs(h - t) for hl, tl in zip(hf_logits, theirs) for h, t in zip(hl, tl))
        within = max_diff <= a.logit_tolerance and len(theirs) == len(hf_logits)
        print(f"logits: max |HF - ElectraLab| = {max_diff:.3e} over {len(theirs)} rows "
              f"({'within' if within else 'OVER'} tolerance {a.logit_tolerance:g})")
        ok &= within
    else:
        print(f"logits: {logits_path} not found (run `eval model --logits`); predictions compared only")

    print(json.dumps({"task": task, "examples": len(rows), "token_mismatches": len(token_mismatches),
                      "predictions_agree": len(ours) - len(disagree), "max_abs_logit_diff": max_diff,
                      "result": "PASS" if ok else "FAIL"}))
    print("PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
