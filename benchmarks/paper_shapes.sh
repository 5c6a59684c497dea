#!/usr/bin/env bash
# Timing at the paper's model sizes without checkpoints (random weights, synthetic
# token ids): BERT-Base and BERT-Large shapes, the paper's RTE retention configuration
# at 256 tokens and its 24-layer scaling (each entry repeated twice), batch 32 and 128.
# Results: benchmarks/results/paper-shapes/<shape>-b<batch>/benchmark.{json,md}.
# Kept short for a 2-core CPU: few examples, 3 timed rounds, 1 warm-up pass.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=benchmarks/results/paper-shapes
RTE12=153,125,111,105,85,80,72,48,35,27,22,5
RTE24=153,153,125,125,111,111,105,105,85,85,80,80,72,72,48,48,35,35,27,27,22,22,5,5
run() {  # name config retention batch examples padding
  python -m power_bert.cli benchmark --BERT_CONFIG_PATH "benchmarks/configs/$2.json" \
    --RETENTION_CONFIG "$3" --SEQ_LEN 256 --BATCH_SIZE "$4" --NUM_EXAMPLES "$5" \
    --LENGTHS 32-160 --PADDING "$6" --RUNS 3 --WARMUP 1 --VERBOSE 0 \
    --XLA "${XLA:-false}" --OUTPUT "$OUT/$1/benchmark.json"  # committed runs: no XLA
}
run base-b32 bert_base "$RTE12" 32 128 both
run base-b128 bert_base "$RTE12" 128 128 both
run large-b32 bert_large "$RTE24" 32 64 both
run large-b128 bert_large "$RTE24" 128 128 fixed
