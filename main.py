"""PoWER-BERT command line: the flags of the original release (IBM/PoWER-BERT), plus
--SEED, --MAX_TRAIN_EXAMPLES, --FINETUNED_CHECKPOINT and --EVAL_BATCH_SIZE.

  python main.py --TASK mrpc --BERT_CONFIG_PATH $BERT/bert_config.json \
      --CHECKPOINT_PATH $BERT/bert_model.ckpt --VOCAB_PATH $BERT/vocab.txt \
      --DATA_DIR $GLUE/MRPC --EPOCH 3 --BATCH_SIZE 64 --LR_SOFT_EXTRACT 0.003 \
      --LR_BERT 0.00006 --LAMBDA 0.003 --OUTPUT_DIR out/mrpc

Errors in flags, files or data print one "error:" line and exit with status 2
before anything in OUTPUT_DIR is touched.
"""
import argparse
import sys

import power_bert  # noqa: F401  (selects the Keras 2 API before TensorFlow loads)


def build_parser() -> argparse.ArgumentParser:
    from power_bert.tasks import TASK_NAMES
    p = argparse.ArgumentParser(
        description="PoWER-BERT: fine-tune BERT, search a retention configuration, re-train "
                    "with word-vector elimination; or evaluate/predict with a trained model.")
    p.add_argument("--TASK", required=True,
                   help="task name, one of: %s" % ", ".join(TASK_NAMES))
    p.add_argument("--BERT_CONFIG_PATH", help="bert_config.json of the pre-trained BERT")
    p.add_argument("--CHECKPOINT_PATH",
                   help="training: the pre-trained Google checkpoint (bert_model.ckpt). "
                        "--EVAL_ONLY/--PREDICT_ONLY: a model trained here (e.g. "
                        "OUTPUT_DIR/retrain.hdf5) or a fine-tuned Google checkpoint")
    p.add_argument("--VOCAB_PATH", help="vocab.txt of the BERT checkpoint")
    p.add_argument("--DATA_DIR", help="folder with the task's train/dev/test .tsv files")
    p.add_argument("--OUTPUT_DIR", required=True, help="folder for checkpoints, log and results")
    p.add_argument("--EPOCH", "--EPOCHS", dest="EPOCH", type=int, default=3,
                   help="epochs of each training stage (default 3)")
    p.add_argument("--BATCH_SIZE", type=int, default=32, help="training batch size (default 32)")
    p.add_argument("--EVAL_BATCH_SIZE", type=int, default=None,
                   help="batch size for dev/test inference (default: BATCH_SIZE)")
    p.add_argument("--LR_BERT", type=float, default=3e-5,
                   help="peak learning rate of the BERT weights (default 3e-5)")
    p.add_argument("--LR_SOFT_EXTRACT", type=float, default=1e-3,
                   help="peak learning rate of the retention parameters (search stage)")
    p.add_argument("--LAMBDA", type=float, default=1e-3,
                   help="weight of the mass regulariser: larger removes more word vectors")
    p.add_argument("--CASED", action="store_true", help="the BERT model is cased")
    p.add_argument("--EVAL_ONLY", action="store_true",
                   help="evaluate the model at CHECKPOINT_PATH on dev.tsv")
    p.add_argument("--PREDICT_ONLY", action="store_true",
                   help="predict test.tsv with the model at CHECKPOINT_PATH")
    p.add_argument("--RETENTION_CONFIG",
                   help="comma-separated word vectors kept per encoder, e.g. 64,48,32,16; "
                        "overrides the one saved with the model")
    p.add_argument("--MODEL_FORMAT", choices=["HDF5", "CKPT", "hdf5", "ckpt"],
                   help="HDF5: a model saved by this project; CKPT: a Google TF checkpoint "
                        "with a classifier head (default: detected)")
    p.add_argument("--PRED_GLUE", action="store_true",
                   help="write test predictions as OUTPUT_DIR/glue/<Task>.tsv for the GLUE server")
    p.add_argument("--DYNAMIC_PADDING", action="store_true",
                   help="pad each batch (training, dev and test) to its longest example "
                        "instead of the task's maximum length: the same loss and predictions "
                        "as fixed padding, faster on short sentences")
    p.add_argument("--SEED", type=int, default=42, help="seed of shuffling and initialisation")
    p.add_argument("--MAX_TRAIN_EXAMPLES", type=int, default=None,
                   help="train on a seeded random subset of this many examples (quick runs)")
    p.add_argument("--FINETUNED_CHECKPOINT",
                   help="skip fine-tuning: start the search from this fine-tuned model "
                        "(OUTPUT_DIR/finetune.hdf5 of an earlier run)")
    p.add_argument("--VERBOSE", type=int, default=1, choices=[0, 1, 2],
                   help="Keras progress output (default 1: progress bars)")
    return p


def options_from_args(args):
    from power_bert.retention import parse_retention_configuration
    from power_bert.pipeline import Options
    retention = None
    if args.RETENTION_CONFIG:
        retention = parse_retention_configuration(args.RETENTION_CONFIG)
    return Options(
        task=args.TASK.lower(), output_dir=args.OUTPUT_DIR, data_dir=args.DATA_DIR,
        bert_config_path=args.BERT_CONFIG_PATH, checkpoint_path=args.CHECKPOINT_PATH,
        vocab_path=args.VOCAB_PATH, epochs=args.EPOCH, batch_size=args.BATCH_SIZE,
        lr_bert=args.LR_BERT, lr_soft_extract=args.LR_SOFT_EXTRACT, lam=args.LAMBDA,
        cased=args.CASED, eval_only=args.EVAL_ONLY, predict_only=args.PREDICT_ONLY,
        retention_config=retention, model_format=args.MODEL_FORMAT, pred_glue=args.PRED_GLUE,
        seed=args.SEED, max_train_examples=args.MAX_TRAIN_EXAMPLES,
        finetuned_checkpoint=args.FINETUNED_CHECKPOINT, eval_batch_size=args.EVAL_BATCH_SIZE,
        dynamic_padding=args.DYNAMIC_PADDING, verbose=args.VERBOSE)


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    from power_bert.errors import USER_ERRORS
    from power_bert.pipeline import run
    try:
        run(options_from_args(args))
    except USER_ERRORS as e:
        print("error: %s" % e, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
