"""Which word pieces survive each encoder (the paper's anecdotes), and how often each
position survives over a dev set (``power-bert elimination``, ``commands/elimination.py``).

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
from typing import Dict, List, Sequence

import numpy as np

from power_bert.errors import UsageError

FORMATS = ("png", "svg")
_DROPPED = "."  # what the text table shows for an eliminated word piece


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
