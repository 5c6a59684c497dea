"""``power-bert convert``: a Hugging Face BERT folder into Google's checkpoint format
(``convert.convert_hf_to_google``), with a summary of what was written."""
import os
import sys
import warnings

from power_bert.convert import convert_hf_to_google
from power_bert.errors import ConversionError


def add_arguments(parser):
    parser.add_argument("--HF_DIR", required=True, help="Hugging Face checkpoint folder")
    parser.add_argument("--OUTPUT_DIR", required=True,
                        help="folder to create (must not exist or be empty)")
    parser.add_argument("--ALLOW_MISSING_POOLER", action="store_true",
                        help="initialise a missing pooler randomly instead of refusing")
    parser.add_argument("--ALLOW_LAYER_NORM_EPS_MISMATCH", action="store_true",
                        help="convert even if layer_norm_eps != 1e-12 (the model uses 1e-12)")
    parser.add_argument("--OVERWRITE", action="store_true", help="replace a non-empty OUTPUT_DIR")
    parser.add_argument("--SEED", type=int, default=0,
                        help="seed for a randomly initialised pooler (default 0)")


def run(args) -> int:
    """Converts and prints a summary.

    Raises:
      ConversionError: the conversion is refused or its files cannot be written.
    """
    if not 0 <= args.SEED <= 2 ** 31 - 1:
        raise ConversionError("--SEED must be an integer in [0, 2147483647], got %d" % args.SEED)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # printed below instead
            record = convert_hf_to_google(
                args.HF_DIR, args.OUTPUT_DIR, allow_missing_pooler=args.ALLOW_MISSING_POOLER,
                allow_layer_norm_eps_mismatch=args.ALLOW_LAYER_NORM_EPS_MISMATCH,
                overwrite=args.OVERWRITE, seed=args.SEED)
    except OSError as e:
        raise ConversionError("%s: %s" % (e.filename or args.OUTPUT_DIR, e.strerror or e)) from None
    for w in record["warnings"]:
        print(w if w.startswith("WARNING") else "WARNING: " + w, file=sys.stderr)
    cfg = record["bert_config"]
    print("Converted %s -> %s" % (record["source"], os.path.abspath(args.OUTPUT_DIR)))
    print("  %d tensors written (pooler %s); %d ignored: %s"
          % (record["tensor_count"], record["pooler"], record["ignored_tensor_count"],
             ", ".join(t["name"] for t in record["ignored_tensors"]) or "-"))
    print("  layers=%d hidden=%d heads=%d intermediate=%d vocab=%d max_position=%d "
          "type_vocab=%d do_lower_case=%s"
          % (cfg["num_hidden_layers"], cfg["hidden_size"], cfg["num_attention_heads"],
             cfg["intermediate_size"], cfg["vocab_size"], cfg["max_position_embeddings"],
             cfg["type_vocab_size"], record["do_lower_case"]))
    for n in record["notes"]:
        print("  note: %s" % n)
    return 0
