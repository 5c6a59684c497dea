#!/usr/bin/env bash
# Inference at MiniLM shape (random weights, synthetic ids, 128 tokens, real lengths
# 32-128), the MRPC retention configuration, fixed and dynamic padding, batch 32 and 128:
# one `power-bert benchmark` run per (precision, XLA) pair, run one after the other
# (the benchmark times BERT against PoWER-BERT interleaved within a run; --XLA and
# --MIXED_PRECISION hold for the whole run).
# Results: benchmarks/results/cpu-xla-precision/inference-<prec>-<xla>-b<batch>/.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=benchmarks/results/cpu-xla-precision
for batch in 32 128; do
  for prec in none bfloat16; do
    for xla in noxla xla; do
      flag=(); [ "$xla" = xla ] && flag=(--XLA true)
      python -m power_bert.cli benchmark --BERT_CONFIG_PATH benchmarks/configs/minilm.json \
        --RETENTION_CONFIG 67,51,44,13,3,1 --SEQ_LEN 128 --BATCH_SIZE "$batch" \
        --NUM_EXAMPLES 128 --LENGTHS 32-128 --PADDING both --RUNS 3 --WARMUP 1 \
        --VERBOSE 0 --MIXED_PRECISION "$prec" "${flag[@]}" \
        --OUTPUT "$OUT/inference-$prec-$xla-b$batch/benchmark.json"
    done
  done
done
# One table of every run: ms per example, and the ratio to the float32, no-XLA run of
# the same batch size, padding and model (separate runs: a ratio across runs, not
# interleaved).
python - "$OUT" <<'PY' | tee "$OUT/inference.md"
import json, os, sys
out = sys.argv[1]
rows = ["| batch | padding | model | float32 | float32 + XLA | bfloat16 | bfloat16 + XLA |",
        "|---:|---|---|---:|---:|---:|---:|"]
for batch in (32, 128):
    docs = {}
    for prec in ("none", "bfloat16"):
        for xla in ("noxla", "xla"):
            with open(os.path.join(out, "inference-%s-%s-b%d" % (prec, xla, batch),
                                   "benchmark.json")) as f:
                docs[prec, xla] = {run["padding"]: run for run in json.load(f)["runs"]}
    for padding in ("fixed", "dynamic"):
        for model in ("baseline", "power_bert"):
            base = docs["none", "noxla"][padding][model]["seconds_per_example"]
            cells = []
            for key in (("none", "noxla"), ("none", "xla"), ("bfloat16", "noxla"),
                        ("bfloat16", "xla")):
                s = docs[key][padding][model]["seconds_per_example"]
                cells.append("%.2f ms (%.2f)" % (1000 * s, s / base))
            rows.append("| %d | %s | %s | %s |" % (batch, padding, docs["none", "noxla"][
                padding][model]["label"], " | ".join(cells)))
print("\n".join(rows))
PY
