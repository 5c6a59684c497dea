#!/usr/bin/env bash
# A held-out row of docs/results.md ("Selected on held-out data") in one command:
# fine-tuning with 20% of the training set held out (glue_minilm.sh with TUNE_FRACTION,
# stopped once stage 1 has published its finetune.hdf5), then the LAMBDA sweep from it,
# every choice made on the held-out part and dev read once.
#
#   LAMBDAS=1e-3,2e-3 nohup bash benchmarks/heldout.sh sts-b >> runs/heldout-sts-b.out 2>&1 &
#
# Resumable: run the same command again; a finished fine-tuning is reused and the sweep
# skips its finished cells. Settings as glue_minilm.sh (LR_SOFT_EXTRACT=1e-2 for STS-B's
# row); THREADS (default 2) sets TensorFlow's threads. Results in
# benchmarks/results/<task>-sweep-tune0.2/ (with the fine-tuning's log, finetune-log.txt).
# TUNE_SPLIT=sentences holds out whole sentences instead of rows (SST-2: its training rows
# are mostly phrases of its sentences, see docs/results.md); folders end in -sentences:
#   TUNE_SPLIT=sentences LAMBDAS=5e-4,1e-3 nohup bash benchmarks/heldout.sh sst-2 >> runs/heldout-sst-2-sentences.out 2>&1 &
set -euo pipefail
cd "$(dirname "$0")/.."
TASK=${1:?usage: heldout.sh TASK (cola, sst-2, mrpc or sts-b)}
: "${LAMBDAS:?give the LAMBDA values to sweep, e.g. LAMBDAS=1e-3,2e-3}"
WORK=${WORK:-runs}
export TF_NUM_INTRAOP_THREADS=${THREADS:-2} TF_NUM_INTEROP_THREADS=1 OMP_NUM_THREADS=${THREADS:-2}
export TUNE_FRACTION=${TUNE_FRACTION:-0.2} TUNE_SPLIT=${TUNE_SPLIT:-rows}
TUNE_NAME=tune$TUNE_FRACTION
[ "$TUNE_SPLIT" != rows ] && TUNE_NAME=$TUNE_NAME-$TUNE_SPLIT
FT_OUT=$WORK/$TASK-finetune-$TUNE_NAME
RES=benchmarks/results/$TASK-sweep-$TUNE_NAME
mkdir -p "$RES"
# the fine-tuned checkpoint the run's log names once stage 1 is published
finetuned() {
  grep -ho "add --FINETUNED_CHECKPOINT .*" "$FT_OUT"/log.txt 2>/dev/null | tail -n 1 \
    | sed 's/add --FINETUNED_CHECKPOINT //'
}
if [ -z "$(finetuned)" ]; then
  echo "== $(date -u +%T) fine-tuning $TASK with $TUNE_FRACTION of train held out ($TUNE_SPLIT) -> $FT_OUT"
  # (its own results folder is not wanted: the run is stopped after stage 1)
  LAMBDAS= OUT=$FT_OUT RESULTS=$FT_OUT/results bash benchmarks/glue_minilm.sh "$TASK" &
  pid=$!
  while [ -z "$(finetuned)" ]; do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "heldout.sh: the fine-tuning ended without publishing a checkpoint" >&2
      exit 1
    fi
    sleep 20
  done
  # stage 1 is published; the search and re-training of this run are not needed
  pkill -TERM -P "$pid" || true
  wait "$pid" || true
fi
FT=$(finetuned)
echo "== $(date -u +%T) sweep $TASK LAMBDAS=$LAMBDAS from $FT"
FINETUNED=$FT LAMBDAS=$LAMBDAS bash benchmarks/glue_minilm.sh "$TASK"
cp "$FT_OUT/log.txt" "$RES/finetune-log.txt"
echo "== $(date -u +%T) done: $RES"
