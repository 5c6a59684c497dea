"""PoWER-BERT command line of the original release (IBM/PoWER-BERT), with its upper-case
flags, plus --SEED, --MAX_TRAIN_EXAMPLES, --FINETUNED_CHECKPOINT, --EVAL_BATCH_SIZE,
--DYNAMIC_PADDING and --VERBOSE. The same as ``power-bert train`` (or ``eval`` with
--EVAL_ONLY, ``predict`` with --PREDICT_ONLY).

  python main.py --TASK mrpc --BERT_CONFIG_PATH $BERT/bert_config.json \
      --CHECKPOINT_PATH $BERT/bert_model.ckpt --VOCAB_PATH $BERT/vocab.txt \
      --DATA_DIR $GLUE/MRPC --EPOCH 3 --BATCH_SIZE 64 --LR_SOFT_EXTRACT 0.003 \
      --LR_BERT 0.00006 --LAMBDA 0.003 --OUTPUT_DIR out/mrpc

Errors in flags, files or data print one "error:" line and exit with status 2
before anything in OUTPUT_DIR is touched.
"""
import sys

from power_bert.cli import run_command


def main(argv=None) -> int:
    return run_command("main", argv, prog="main.py")


if __name__ == "__main__":
    sys.exit(main())
