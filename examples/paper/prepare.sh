#!/usr/bin/env bash
# The paper sweeps' corpus: every text in ../shared/data/corpus (six Gutenberg books and WikiText-2's test split, 5.6 MB,
# 1.2M tokens), a WordPiece vocabulary of 8,192 trained on it (the BERT vocabulary's 30,522 rows would be mostly
# unseen here and make the generator's softmax 4x dearer), 128-token examples; pushed to the running stack as
# `paper-corpus`, which every spec in this folder names. Takes a few seconds.
set -euo pipefail
shared="${1:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}"
work="${PAPER_WORK:-${TMPDIR:-/tmp}/electralab-paper}"
corpus="$shared/data/corpus"
mkdir -p "$work"
electralab vocab train --input "$corpus/gutenberg" "$corpus/wikitext-2-raw/wiki.test.raw" --size 8192 --out "$work/vocab-8k.txt"
electralab data prepare --input "$corpus/gutenberg" "$corpus/wikitext-2-raw/wiki.test.raw" --vocab "$work/vocab-8k.txt" \
    --max-seq-length 128 --out "$work/corpus-8k-seq128"
electralab data push "$work/corpus-8k-seq128" --name paper-corpus
