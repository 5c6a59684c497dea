#!/usr/bin/env bash
# The GPU check of issue 12, run as it is from the repository root on a machine with an
# NVIDIA GPU:
#
#   bash benchmarks/gpu_check.sh
#
#  1. makes a virtual environment (GPU_CHECK_VENV, default .venv-gpu-check) and installs
#     requirements-test.txt into it, with TensorFlow's CUDA libraries
#     (tensorflow[and-cuda], the version requirements.txt pins); an existing environment
#     is reused as it is;
#  2. prints nvidia-smi and the GPUs TensorFlow sees, and stops (exit 1) if it sees none;
#  3. runs the test suite;
#  4. times BERT against PoWER-BERT at the BERT-Base shape (benchmarks/configs/
#     bert_base.json, random weights: timing only) with the paper's RTE configuration at
#     256 tokens, batch 128, fixed and dynamic padding, in float32 and with mixed
#     precision (float16 and bfloat16).
#
# Writes to $OUT when it is set, else benchmarks/results/gpu-check/: environment.txt,
# tests.txt (the suite's output) and one JSON (and .md table) per precision.
#
# GPU_CHECK_ALLOW_CPU=1 is a dry run for a machine without a GPU: no GPU required, no
# test suite, tiny benchmark runs (a few examples, one round), so that the script can be
# checked end to end anywhere. Without network access, point GPU_CHECK_VENV at an
# environment that already has the requirements (or set PIP_FIND_LINKS to a wheel folder).
set -euo pipefail
cd "$(dirname "$0")/.."

ALLOW_CPU="${GPU_CHECK_ALLOW_CPU:-0}"
VENV="${GPU_CHECK_VENV:-.venv-gpu-check}"
RESULTS="${OUT:-benchmarks/results/gpu-check}"
mkdir -p "$RESULTS"
RTE12=153,125,111,105,85,80,72,48,35,27,22,5  # the paper's RTE configuration, 256 tokens

say() { printf '\n== %s\n' "$*"; }

# 1. the environment
if [ ! -x "$VENV/bin/python" ]; then
  say "making $VENV and installing requirements-test.txt"
  python3 -m venv "$VENV"
  "$VENV/bin/python" -m pip install --upgrade pip
  "$VENV/bin/python" -m pip install -r requirements-test.txt
  if [ "$ALLOW_CPU" != 1 ]; then
    tf_version=$(sed -n 's/^tensorflow==//p' requirements.txt)
    "$VENV/bin/python" -m pip install "tensorflow[and-cuda]==$tf_version"
  fi
else
  say "reusing $VENV"
fi
PY="$VENV/bin/python"

# 2. the GPU
say "nvidia-smi"
{
  date -u
  git rev-parse HEAD 2>/dev/null || true
  if command -v nvidia-smi > /dev/null; then nvidia-smi; else echo "nvidia-smi: not found"; fi
} | tee "$RESULTS/environment.txt"
say "GPUs TensorFlow sees"
"$PY" - "$ALLOW_CPU" <<'PYTHON' 2>&1 | tee -a "$RESULTS/environment.txt"
import sys
import tensorflow as tf
gpus = tf.config.list_physical_devices("GPU")
print("tensorflow", tf.__version__, "built with CUDA:", tf.test.is_built_with_cuda())
print("tf.config.list_physical_devices('GPU'):", gpus)
for gpu in gpus:
    print(gpu.name, tf.config.experimental.get_device_details(gpu))
if not gpus:
    if sys.argv[1] != "1":
        sys.exit("gpu_check: TensorFlow sees no GPU (see nvidia-smi above and the CUDA "
                 "libraries of tensorflow[and-cuda]); GPU_CHECK_ALLOW_CPU=1 for a dry run")
    print("no GPU: dry run on the CPU (GPU_CHECK_ALLOW_CPU=1)")
PYTHON

# 3. the test suite
if [ "$ALLOW_CPU" = 1 ]; then
  say "test suite skipped (GPU_CHECK_ALLOW_CPU=1)"
  echo "skipped: GPU_CHECK_ALLOW_CPU=1" > "$RESULTS/tests.txt"
else
  say "test suite (python -m pytest -q tests)"
  "$PY" -m pytest -q tests 2>&1 | tee "$RESULTS/tests.txt"  # (pipefail: a failure stops here)
fi

# 4. the BERT-Base-shape benchmark, batch 128, fixed and dynamic padding
if [ "$ALLOW_CPU" = 1 ]; then
  SIZE=(--NUM_EXAMPLES 8 --RUNS 1 --WARMUP 0)  # a dry run: that it runs, not its times
else
  SIZE=(--NUM_EXAMPLES 1024 --RUNS 5 --WARMUP 1)
fi
for precision in none float16 bfloat16; do
  name=$([ "$precision" = none ] && echo float32 || echo "$precision")
  say "benchmark: BERT-Base shape, batch 128, fixed and dynamic padding, $name"
  "$PY" -m power_bert.cli benchmark --BERT_CONFIG_PATH benchmarks/configs/bert_base.json \
    --RETENTION_CONFIG "$RTE12" --SEQ_LEN 256 --BATCH_SIZE 128 --LENGTHS 32-160 \
    --PADDING both --MIXED_PRECISION "$precision" --VERBOSE 0 "${SIZE[@]}" \
    --OUTPUT "$RESULTS/base-b128-$name.json"
done
say "done: results in $RESULTS"
ls -l "$RESULTS"
