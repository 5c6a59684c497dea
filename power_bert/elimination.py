"""``power-bert elimination``: which word pieces survive each encoder (the paper's
anecdotes), and how often each position survives over a dev set.

The kept positions come from the model itself: a sub-model whose outputs are the
indices every Extract layer gathers with (``layers.Extract``'s third output), composed
encoder by encoder into positions of the input. Nothing is recomputed here.

Outputs (in ``--OUTPUT_DIR``):
  elimination.json   per example: word pieces, and per encoder the kept positions
  elimination.png    one panel per example, one row per encoder, kept pieces highlighted
                     (``--FORMAT svg`` for SVG)
  survival.json      per encoder and input position: the fraction of the dev examples
                     long enough to have that position in which it survives
  survival.png       those fractions, one line per encoder
and the text table on the terminal.
"""
import os
from typing import Dict, List, Sequence

import numpy as np

from power_bert.errors import UsageError, check_integer

FORMATS = ("png", "svg")
_DROPPED = "."  # what the text table shows for an eliminated word piece


def add_arguments(parser, command: str = "elimination"):
    p = parser
    p.add_argument("--CHECKPOINT_PATH", required=True,
                   help="a PoWER-BERT model (OUTPUT_DIR/retrain.hdf5), or a fine-tuned model "
                        "with --RETENTION_CONFIG")
    p.add_argument("--RETENTION_CONFIG", help="l_1,...,l_L; overrides the saved one")
    p.add_argument("--WORD_SELECTION", help="attention, head or random (default: the "
                                            "model's)")
    p.add_argument("--SEED", type=int, default=42, help="seed of random word selection "
                                                         "when --WORD_SELECTION is given")
    p.add_argument("--TASK", help="task of the sentences (default: the model's)")
    p.add_argument("--DATA_DIR", help="the task's data folder (dev examples)")
    p.add_argument("--VOCAB_PATH", help="vocab.txt (default: the one saved with the model)")
    p.add_argument("--SENTENCES", help="a UTF-8 file with one example a line (a pair: the two "
                                       "sentences separated by a tab) instead of dev examples")
    p.add_argument("--NUM_EXAMPLES", type=int, default=10,
                   help="pictures of the first N dev examples (default 10)")
    p.add_argument("--SURVIVAL_EXAMPLES", type=int,
                   help="survival frequencies over the first N dev examples (default: all; "
                        "needs --DATA_DIR)")
    p.add_argument("--BATCH_SIZE", type=int, default=64, help="inference batch (default 64)")
    p.add_argument("--FORMAT", choices=FORMATS, default="png", help="figure format")
    p.add_argument("--OUTPUT_DIR", required=True, help="folder of the JSON files and figures")


# ----- what the model keeps -------------------------------------------------------------

def extract_layers(model) -> List:
    """The model's Extract layers, encoder 1 first."""
    from power_bert.layers import Extract
    return [layer for layer in model.layers if isinstance(layer, Extract)]


def index_model(model):
    """A sub-model with the model's inputs whose outputs are every Extract layer's indices
    ``[B, K_j]`` (positions of encoder j's input sequence).

    Raises:
      UsageError: the model has no Extract layer (a fine-tuned model without a retention
        configuration).
    """
    from power_bert.backend import keras
    layers = extract_layers(model)
    if not layers:
        raise UsageError("the model eliminates no word vectors (no Extract layer): give a "
                         "retrain.hdf5 or --RETENTION_CONFIG")
    return keras.Model(model.inputs, [layer.output[2] for layer in layers])


def kept_positions(model, x: Sequence[np.ndarray], batch_size: int) -> List[np.ndarray]:
    """Input positions that survive each encoder, as the model's Extract layers gather.

    Args:
      model: a retrain-mode model of fixed length T.
      x: ``[token_ids, segment_ids]`` int ``[N, T]``.

    Returns:
      Per encoder j an int array ``[N, K_j]`` of input positions, increasing (padding
      positions included where an example is shorter than l_j).
    """
    from power_bert.inference import fixed_batches
    indices = index_model(model)
    per_layer: List[List[np.ndarray]] = []
    for inputs, _ in fixed_batches(x, batch_size):
        outputs = indices(inputs, training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        positions = np.tile(np.arange(inputs[0].shape[1]), (len(inputs[0]), 1))  # [B, T]
        for j, local in enumerate(outputs):
            positions = np.take_along_axis(positions, local.numpy(), axis=1)  # [B, K_j]
            if len(per_layer) <= j:
                per_layer.append([])
            per_layer[j].append(positions)
    return [np.concatenate(parts, axis=0) for parts in per_layer]


def survival_frequencies(positions: Sequence[np.ndarray], lengths: np.ndarray,
                         seq_len: int) -> np.ndarray:
    """``[L, seq_len]``: per encoder, the fraction of examples having input position p (real
    length > p) in which p survives that encoder (NaN where no example is that long)."""
    lengths = np.asarray(lengths)
    present = (np.arange(seq_len)[None] < lengths[:, None]).sum(axis=0)  # [T]
    table = np.full((len(positions), seq_len), np.nan)
    for j, kept in enumerate(positions):
        counts = np.zeros(seq_len)
        for row, length in zip(kept, lengths):
            real = row[row < length]
            counts[real] += 1
        with np.errstate(invalid="ignore", divide="ignore"):
            table[j] = np.where(present > 0, counts / np.maximum(present, 1), np.nan)
    return table


# ----- text and figures -------------------------------------------------------------------

def example_records(tokens: Sequence[List[str]], positions: Sequence[np.ndarray],
                    retention: Sequence[int]) -> List[Dict]:
    """Per example: its word pieces and, per encoder, the real positions kept."""
    records = []
    for i, pieces in enumerate(tokens):
        records.append({"tokens": list(pieces),
                        "kept": [[int(p) for p in layer[i] if p < len(pieces)]
                                 for layer in positions],
                        "retention_configuration": list(retention)})
    return records


def text_table(record: Dict) -> str:
    """One line per encoder: the surviving word pieces in place, '.' for the others."""
    pieces = record["tokens"]
    width = [max(len(p), 1) for p in pieces]
    lines = ["input      " + " ".join(p.ljust(w) for p, w in zip(pieces, width))]
    for j, kept in enumerate(record["kept"], 1):
        keep = set(kept)
        cells = [(p if i in keep else _DROPPED).ljust(w)
                 for i, (p, w) in enumerate(zip(pieces, width))]
        lines.append(("encoder %-2d " % j) + " ".join(cells).rstrip()
                     + "   (%d kept)" % len(kept))
    return "\n".join(lines)


def plot_pictures(records: Sequence[Dict], path: str):
    """One panel per example: a row per encoder, a column per word piece, kept ones
    filled."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    layers = len(records[0]["kept"])
    longest = max(len(r["tokens"]) for r in records)
    height = len(records) * (0.28 * layers + 1.3)
    fig, axes = plt.subplots(len(records), 1, squeeze=False,
                             figsize=(max(6.0, 0.32 * longest + 1.5), height))
    for ax, record in zip(axes[:, 0], records):
        grid = np.zeros((layers, len(record["tokens"])))
        for j, kept in enumerate(record["kept"]):
            grid[j, kept] = 1.0
        ax.imshow(grid, cmap="Blues", vmin=0, vmax=1.25, aspect="auto",
                  interpolation="nearest")
        ax.set_yticks(range(layers))
        ax.set_yticklabels(["enc %d" % (j + 1) for j in range(layers)], fontsize=7)
        ax.set_xticks(range(len(record["tokens"])))
        ax.set_xticklabels(record["tokens"], rotation=90, fontsize=7)
        ax.set_xticks(np.arange(-0.5, len(record["tokens"])), minor=True)
        ax.set_yticks(np.arange(-0.5, layers), minor=True)
        ax.grid(which="minor", color="white", linewidth=0.5)
        ax.tick_params(which="minor", length=0)
    fig.suptitle("Word pieces kept by each encoder (filled), retention configuration %s"
                 % ",".join(map(str, records[0]["retention_configuration"])), fontsize=9)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.35 / height))  # (room for the title)
    fig.savefig(path)
    plt.close(fig)


def plot_survival(table: np.ndarray, path: str, title: str):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    fig, ax = plt.subplots(figsize=(8, 4))
    for j, row in enumerate(table, 1):
        ax.plot(np.arange(len(row)), row, label="encoder %d" % j, linewidth=1)
    ax.set_xlabel("input position (0 = [CLS])")
    ax.set_ylabel("fraction of examples in which it survives")
    ax.set_ylim(-0.02, 1.02)
    ax.set_title(title, fontsize=9)
    ax.legend(fontsize=7, ncol=2)
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)


# ----- the command ------------------------------------------------------------------------

def _read_sentences(path: str) -> List:
    from power_bert.data import DataError, Example
    try:
        with open(path, encoding="utf-8") as reader:
            lines = reader.read().splitlines()
    except UnicodeDecodeError as e:
        raise DataError("--SENTENCES %s: not valid UTF-8 (byte %d)" % (path, e.start)) from None
    except OSError as e:
        raise UsageError("--SENTENCES: cannot read %s: %s" % (path, e.strerror or e)) from None
    examples = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) > 2:
            raise DataError("--SENTENCES %s, line %d: %d tab-separated parts; give one sentence "
                            "or a pair" % (path, number, len(parts)))
        examples.append(Example("line-%d" % number, parts[0], parts[1] if len(parts) > 1
                                else None, None))
    if not examples:
        raise DataError("--SENTENCES %s holds no sentence" % path)
    return examples


def _check(args):
    for flag in ("--NUM_EXAMPLES", "--BATCH_SIZE", "--SURVIVAL_EXAMPLES"):
        if getattr(args, flag[2:]) is not None:
            check_integer(getattr(args, flag[2:]), flag, 1)
    if not args.SENTENCES and not args.DATA_DIR:
        raise UsageError("give --DATA_DIR (the first --NUM_EXAMPLES dev examples) or "
                         "--SENTENCES")
    if args.SENTENCES and not os.path.isfile(args.SENTENCES):
        raise UsageError("--SENTENCES: file not found: %s" % args.SENTENCES)
    if args.DATA_DIR and not os.path.isdir(args.DATA_DIR):
        raise UsageError("--DATA_DIR: folder not found: %s" % args.DATA_DIR)
    if os.path.exists(args.OUTPUT_DIR) and not os.path.isdir(args.OUTPUT_DIR):
        raise UsageError("--OUTPUT_DIR: %s exists and is not a folder" % args.OUTPUT_DIR)


def run(args) -> int:
    """Loads the model, finds what it keeps, prints and writes the pictures."""
    from power_bert.trained import open_trained
    _check(args)
    trained = open_trained(args.CHECKPOINT_PATH, task=args.TASK, vocab_path=args.VOCAB_PATH,
                           retention=args.RETENTION_CONFIG, word_selection=args.WORD_SELECTION,
                           seed=args.SEED, allow_search=bool(args.RETENTION_CONFIG))
    spec, task, seq_len = trained.checkpoint, trained.task, trained.seq_len
    if spec.mode != "retrain":
        raise UsageError("%s eliminates no word vectors (a %s-stage model): give a "
                         "retrain.hdf5 or --RETENTION_CONFIG" % (args.CHECKPOINT_PATH, spec.mode))
    from power_bert.data import DataParser
    parser = DataParser(trained.vocab_path, task, args.DATA_DIR or ".", max_seq_len=seq_len,
                        cased=trained.cased)
    if args.SENTENCES:
        encoded = parser.encode_examples(_read_sentences(args.SENTENCES))
        x = [encoded.token_ids, encoded.segment_ids]
    else:
        x, _ = parser.get_dev_data(max_examples=args.NUM_EXAMPLES)
    model = trained.load()
    say = print
    os.makedirs(args.OUTPUT_DIR, exist_ok=True)
    inverse = {index: token for token, index in parser.token_dict.items()}
    from power_bert.inference import real_lengths
    lengths = real_lengths(x[0])
    tokens = [[inverse.get(int(t), "[UNK]") for t in row[:n]] for row, n in zip(x[0], lengths)]
    positions = kept_positions(model, x, args.BATCH_SIZE)
    records = example_records(tokens, positions, spec.retention)
    for i, record in enumerate(records, 1):
        say("example %d (%d word pieces)" % (i, len(record["tokens"])))
        say(text_table(record))
        say("")
    from power_bert.outputs import write_json_atomically
    base = os.path.join(args.OUTPUT_DIR, "elimination")
    write_json_atomically(base + ".json", {
        "checkpoint": os.path.abspath(args.CHECKPOINT_PATH), "task": task.name,
        "word_selection": spec.word_selection, "examples": records})
    plot_pictures(records, base + "." + args.FORMAT)
    say("pictures written to %s.json and %s.%s" % (base, base, args.FORMAT))
    if args.DATA_DIR:
        dev_x, _ = parser.get_dev_data(max_examples=args.SURVIVAL_EXAMPLES)
        dev_lengths = real_lengths(dev_x[0])
        table = survival_frequencies(kept_positions(model, dev_x, args.BATCH_SIZE),
                                     dev_lengths, seq_len)
        base = os.path.join(args.OUTPUT_DIR, "survival")
        write_json_atomically(base + ".json", {
            "checkpoint": os.path.abspath(args.CHECKPOINT_PATH), "task": task.name,
            "num_examples": int(len(dev_lengths)),
            "retention_configuration": list(spec.retention),
            "word_selection": spec.word_selection,
            "examples_per_position": [int(c) for c in
                                      (np.arange(seq_len)[None] < dev_lengths[:, None]).sum(0)],
            "survival": [[None if np.isnan(v) else round(float(v), 4) for v in row]
                         for row in table]})
        plot_survival(table, base + "." + args.FORMAT,
                      "%s dev (%d examples): survival by input position, retention "
                      "configuration %s" % (task.name, len(dev_lengths),
                                            ",".join(map(str, spec.retention))))
        say("survival frequencies written to %s.json and %s.%s" % (base, base, args.FORMAT))
    return 0
