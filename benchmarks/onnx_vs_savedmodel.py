"""ONNX Runtime against the SavedModel's token_ids signature: one batch of MiniLM shape
(6 layers, hidden 384, 12 heads; random weights, timing only), mixed lengths padded to
128 tokens, batch 32; interleaved after a warm-up, median of --RUNS.

    python benchmarks/onnx_vs_savedmodel.py --MODE retrain --OUTPUT out.json

Needs requirements-onnx.txt. Also checks that both give the Keras model's probabilities.
"""
import argparse
import json
import os
import tempfile
import time

import numpy as np

from power_bert.backend import keras, tf
from power_bert.checkpoint import StageCheckpoint, file_sha256
from power_bert.config import BertConfig
from power_bert.export import export_model, load_onnx

MINILM = dict(vocab_size=30522, hidden_size=384, num_hidden_layers=6, num_attention_heads=12,
              intermediate_size=1536, hidden_act="gelu", hidden_dropout_prob=0.1,
              attention_probs_dropout_prob=0.1, max_position_embeddings=512,
              type_vocab_size=2, initializer_range=0.02)
RETENTION = (67, 51, 44, 13, 3, 1)  # the MRPC row of docs/results.md


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--MODE", choices=("finetune", "retrain"), default="retrain")
    parser.add_argument("--BATCH_SIZE", type=int, default=32)
    parser.add_argument("--SEQ_LEN", type=int, default=128)
    parser.add_argument("--RUNS", type=int, default=5)
    parser.add_argument("--OUTPUT")
    args = parser.parse_args()
    root = tempfile.mkdtemp()
    vocab = os.path.join(root, "vocab.txt")
    with open(vocab, "w", encoding="utf-8") as writer:
        special = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
        writer.write("\n".join(special + ["w%d" % i for i in range(MINILM["vocab_size"]
                                                                   - len(special))]) + "\n")
    keras.utils.set_random_seed(0)
    stage = StageCheckpoint(config=BertConfig.from_dict(MINILM), task="mrpc", num_labels=2,
                            seq_len=args.SEQ_LEN, mode=args.MODE,
                            retention_configuration=RETENTION if args.MODE == "retrain" else None,
                            vocab_path=vocab, vocab_sha256=file_sha256(vocab))
    model = stage.build()
    saved = stage.save(model, os.path.join(root, "checkpoint"), args.MODE)
    rng = np.random.default_rng(0)
    lengths = rng.integers(20, args.SEQ_LEN + 1, args.BATCH_SIZE)
    lengths[0] = args.SEQ_LEN
    ids = np.zeros([args.BATCH_SIZE, args.SEQ_LEN], np.int32)
    segments = np.zeros_like(ids)
    for row, n in enumerate(lengths):
        ids[row, :n] = rng.integers(5, MINILM["vocab_size"], n)
        ids[row, 0], ids[row, n - 1] = 2, 3
        segments[row, n // 2:n] = 1
    export_model(saved.weights_path, os.path.join(root, "onnx"), fmt="onnx")
    export_model(saved.weights_path, os.path.join(root, "savedmodel"))
    signature = tf.saved_model.load(os.path.join(root, "savedmodel")).signatures["token_ids"]
    engines = {
        "onnxruntime": load_onnx(os.path.join(root, "onnx")),
        "onnxruntime_1_thread": load_onnx(os.path.join(root, "onnx"), threads=1),
        "savedmodel": lambda i, s: signature(input_ids=tf.constant(i),
                                             segment_ids=tf.constant(s))["probabilities"].numpy(),
    }
    want = model.predict_on_batch([ids, segments])
    result = {"mode": args.MODE, "batch_size": args.BATCH_SIZE, "seq_len": args.SEQ_LEN,
              "max_abs_diff": {}, "seconds": {name: [] for name in engines}}
    for name, engine in engines.items():  # also the warm-up
        result["max_abs_diff"][name] = float(np.abs(engine(ids, segments) - want).max())
    for _ in range(args.RUNS):
        for name, engine in engines.items():
            start = time.perf_counter()
            engine(ids, segments)
            result["seconds"][name].append(time.perf_counter() - start)
    result["median_s"] = {k: float(np.median(v)) for k, v in result["seconds"].items()}
    text = json.dumps(result, indent=2)
    print(text)
    if args.OUTPUT:
        with open(args.OUTPUT, "w", encoding="utf-8") as writer:
            writer.write(text + "\n")


if __name__ == "__main__":
    main()
