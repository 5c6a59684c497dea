"""``power-bert export`` / ``python -m power_bert.export``: a trained model as a SavedModel
that serves raw text, or as ONNX (``export.export_model``), with what was written."""
import os

from power_bert.commands.flags import add_switch
from power_bert.export import FORMATS, QUANTIZATIONS, export_model
from power_bert.options import parse_switch
from power_bert.runtime import PRECISIONS


def add_arguments(parser):
    parser.add_argument("--CHECKPOINT_PATH", required=True,
                        help="a stage checkpoint trained here (e.g. OUTPUT_DIR/retrain.hdf5 "
                             "or its .json)")
    parser.add_argument("--OUTPUT_DIR", required=True,
                        help="folder of the SavedModel (must not exist or be empty)")
    parser.add_argument("--VOCAB_PATH",
                        help="vocab.txt the model was trained with (default: the one the "
                             "checkpoint records; its checksum is checked)")
    parser.add_argument("--FORMAT", default="savedmodel", choices=FORMATS,
                        help="savedmodel (default: TF Serving, raw text in) or onnx (the "
                             "model part, token ids in; needs requirements-onnx.txt)")
    add_switch(parser, "--XLA", help="true: compile the model part with XLA (jit_compile; "
                                     "savedmodel only); false (default)")
    parser.add_argument("--MIXED_PRECISION", type=str.lower, choices=PRECISIONS, default="none",
                        help="none (default), bfloat16 or float16: build the model part "
                             "under that Keras mixed-precision policy (savedmodel only; the "
                             "outputs stay float32)")
    parser.add_argument("--QUANTIZE", type=str.lower, choices=QUANTIZATIONS, default="none",
                        help="none (default) or int8: ONNX Runtime's dynamic quantization of "
                             "the ONNX model's matrix products (onnx only; faster on CPUs "
                             "with int8 instructions, costs accuracy: measure it)")
    parser.add_argument("--OVERWRITE", action="store_true", help="replace a non-empty OUTPUT_DIR")


def run(args) -> int:
    """Exports and prints what was written.

    Raises:
      ExportError: the checkpoint, vocabulary or OUTPUT_DIR cannot be used.
    """
    xla = bool(parse_switch(args.XLA, "--XLA"))
    metadata = export_model(args.CHECKPOINT_PATH, args.OUTPUT_DIR, vocab_path=args.VOCAB_PATH,
                            xla=xla, overwrite=args.OVERWRITE, fmt=args.FORMAT,
                            mixed_precision=args.MIXED_PRECISION, quantize=args.QUANTIZE)
    print("Exported %s -> %s (%s)" % (metadata.source_checkpoint,
                                      os.path.abspath(args.OUTPUT_DIR), metadata.format))
    print("  task %s, %s model, retention %s, max_seq_len %d, %s, XLA %s%s"
          % (metadata.task, metadata.mode, metadata.retention_configuration,
             metadata.seq_len, "cased" if metadata.cased else "uncased",
             "on" if metadata.xla else "off",
             "".join(", %s" % value for value in (metadata.mixed_precision,
                                                  metadata.quantization) if value)))
    print("  signatures: %s" % ", ".join(
        "%s(%s)" % (name, ", ".join(inputs)) for name, inputs in metadata.signatures.items()))
    return 0
