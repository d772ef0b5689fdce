#!/bin/bash
# Issue 9's evidence that bf16-mixed learns what fp32 learns (README, "Mixed precision"). For pre-training seeds 7 and
# 8, the same tiny ELECTRA is pre-trained 400 steps on the Gutenberg corpus in fp32 and in bf16-mixed; every model is
# then fine-tuned on SST-2 (3 seeds) in both precisions. compare.py prints the step-by-step loss gaps.
# Usage: tools/bf16-evidence/run.sh [out-dir]   (15-40 minutes on 2 cores; set SHARED to the shared folder)
# SEEDS (default "7 8") picks the pre-training seeds, FINETUNE_PRECISIONS (default "fp32 bf16-mixed") the fine-tuning
# modes: SEEDS="9 10 11" FINETUNE_PRECISIONS=fp32 adds pre-training seeds cheaply.
set -euo pipefail
repo="$(cd "$(dirname "$0")/../.." && pwd)"
shared="${SHARED:-${repo}/../shared}"
out="$(mkdir -p "${1:-${repo}/.out/bf16-evidence}" && cd "${1:-${repo}/.out/bf16-evidence}" && pwd)"
dotnet build "${repo}/Cli" -c Release --artifacts-path "${out}/build" -v q -nologo >/dev/null
el=(dotnet "${out}/build/bin/ElectraLab.Cli/release/electralab.dll")
data="${shared}/data"
cd "${out}"
[ -f corpus/dataset.json ] || "${el[@]}" data prepare --input "${data}/corpus/gutenberg" \
  --vocab "${data}/vocab/bert-base-uncased-vocab.txt" --out corpus --max-seq-length 64 > prepare.log
cat > config.json <<JSON
{"model_size":"small","embedding_size":64,"max_seq_length":64,"train_batch_size":32,
 "model_hparam_overrides":{"hidden_size":128,"num_hidden_layers":2,"num_attention_heads":2,"intermediate_size":512},
 "generator_hidden_size":0.25,"num_train_steps":400,"num_warmup_steps":40,"learning_rate":1e-3,"log_every":1,
 "save_checkpoints_steps":400,"num_threads":2,"data_dir":"${out}/corpus"}
JSON
for seed in ${SEEDS:-7 8}; do
  for pt in fp32 bf16-mixed; do
    [ -d "pt${seed}-${pt}/hf/discriminator" ] || "${el[@]}" pretrain --config config.json --out "pt${seed}-${pt}" \
      --set precision=${pt} --set seed=${seed} > "pt${seed}-${pt}.log"
    for ft in ${FINETUNE_PRECISIONS:-fp32 bf16-mixed}; do
      "${el[@]}" finetune --task SST-2 --model "pt${seed}-${pt}/hf/discriminator" --data "${data}/glue" --seeds 1,2,3 \
        --set vocab_file="${data}/vocab/bert-base-uncased-vocab.txt" --set precision=${ft} --set max_train_examples=16000 \
        --set num_train_epochs=1 --set train_batch_size=32 --set max_seq_length=64 --set learning_rate=1e-4 \
        --set layerwise_lr_decay=1.0 --set log_every=250 --out "ft${seed}-${pt}-${ft}" > "ft${seed}-${pt}-${ft}.log"
      grep -E "^accuracy: median" "ft${seed}-${pt}-${ft}.log" | sed "s/^/pre-train seed ${seed} ${pt}, fine-tune ${ft}: /"
    done
  done
  python3 "${repo}/tools/bf16-evidence/compare.py" "pt${seed}-fp32/metrics.jsonl" "pt${seed}-bf16-mixed/metrics.jsonl" 40
done
