#!/usr/bin/env bash
# PoWER-BERT: fine-tuning -> configuration search -> re-training, for one task.
#
# Edit the parameters below for your task (reference values per GLUE task are in
# docs/training.md). Left as they are, CHECKPOINT_PATH/DATA_DIR/VOCAB_PATH/BERT_CONFIG_PATH point
# at the EMBEDDED DEFAULT: a synthetic sentiment data set and a small, randomly
# initialised BERT that this script generates in $OUTPUT_DIR/demo. It is a smoke test of
# the whole pipeline (a few minutes on a CPU), not real data and not a pre-trained model.
set -euo pipefail
cd "$(dirname "$0")"

# ---------------------------------------------------------------- parameters to edit
OUTPUT_DIR=output/demo
CHECKPOINT_PATH=$OUTPUT_DIR/demo/bert/bert_model.ckpt
BERT_CONFIG_PATH=$OUTPUT_DIR/demo/bert/bert_config.json
VOCAB_PATH=$OUTPUT_DIR/demo/bert/vocab.txt
DATA_DIR=$OUTPUT_DIR/demo/data
TASK=demo            # cola sst-2 mrpc sts-b qqp mnli-m mnli-mm qnli rte wnli (or demo)
EPOCH=3             # epochs of each of the three stages
BATCH_SIZE=32
LR_BERT=0.001     # GLUE with BERT-Base: 2e-5 .. 6e-5 (docs/training.md)
LR_SOFT_EXTRACT=0.01
LAMBDA=0.001       # larger -> more word vectors eliminated
EXTRA_ARGS=    # e.g. "--PRED_GLUE --DYNAMIC_PADDING --MAX_TRAIN_EXAMPLES 8000 --CASED"
PYTHON=${PYTHON:-python}   # the interpreter (of your virtual environment)
# -----------------------------------------------------------------------------------

# (power_bert.backend: the package and TensorFlow with tf-keras, its heaviest requirements)
if ! "$PYTHON" -c "import power_bert.backend" 2>/dev/null; then
  echo "run.sh: the power_bert package or its requirements are not installed for $PYTHON; activate the environment (. .venv/bin/activate) or install it (pip install -r requirements.txt)" >&2
  exit 1
fi

if [ "$TASK" = "demo" ] && [ ! -e "$CHECKPOINT_PATH.index" ]; then
  echo "run.sh: TASK=demo: generating the embedded default (synthetic data, random BERT) in $OUTPUT_DIR/demo"
  "$PYTHON" -m power_bert.synthetic --OUTPUT_DIR "$OUTPUT_DIR/demo"
fi

mkdir -p "$OUTPUT_DIR"
# shellcheck disable=SC2086
"$PYTHON" main.py --TASK "$TASK" \
  --BERT_CONFIG_PATH "$BERT_CONFIG_PATH" \
  --CHECKPOINT_PATH "$CHECKPOINT_PATH" \
  --VOCAB_PATH "$VOCAB_PATH" \
  --DATA_DIR "$DATA_DIR" \
  --EPOCH "$EPOCH" \
  --BATCH_SIZE "$BATCH_SIZE" \
  --LR_SOFT_EXTRACT "$LR_SOFT_EXTRACT" \
  --LR_BERT "$LR_BERT" \
  --LAMBDA "$LAMBDA" \
  --OUTPUT_DIR "$OUTPUT_DIR" $EXTRA_ARGS

echo "run.sh: done. Checkpoints, log.txt and results.json are in $OUTPUT_DIR"
