"""The embedded default: a synthetic sentiment data set and a small BERT checkpoint,
generated locally so ``bash run.sh`` works with no downloads.

This is NOT real data and NOT a pre-trained model. Each sentence is 10-55 neutral
filler words with two or three sentiment words among them (two of the label's polarity,
half the time one of the other); the label is the majority polarity of those words.
Only a handful of words carry the label, which is the situation PoWER-BERT exploits:
most word vectors can be dropped in the later encoders. The BERT checkpoint has random
weights (Google format, pooler included) and is small enough to train on a laptop CPU
in a few minutes.

  power-bert demo --OUTPUT_DIR demo   # writes demo/data and demo/bert
"""
import os
import sys
from typing import Dict

import numpy as np

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")

POSITIVE = ("good", "great", "excellent", "wonderful", "delightful", "superb", "charming",
            "brilliant", "moving", "lovely", "enjoyable", "fantastic", "clever", "funny",
            "gripping", "beautiful", "masterful", "touching", "fresh", "stunning")
NEGATIVE = ("bad", "awful", "terrible", "boring", "dull", "tedious", "clumsy", "weak",
            "painful", "bland", "messy", "pointless", "lifeless", "stale", "annoying",
            "dreadful", "shallow", "forgettable", "tiresome", "ugly")
FILLER = (
    "the a an this that these those it its film movie story plot script scene scenes "
    "cast actor actress director camera music score ending beginning middle hour minutes "
    "is was are were be been has have had does did will would could should may might "
    "and or but so yet if then when while as of in on at by for with about from into over "
    "after before during through between under again once here there where why how all "
    "some many much more most other such only own same than too very just also still even "
    "character characters dialogue drama comedy thriller audience viewers critics festival "
    "studio sequel remake version cinema screen theater night day year time world life "
    "people family friends city town house road car train war love money dream home "
    "first second last next new old young long short big small early late high low "
    "seems looks feels plays runs takes makes gives shows tells comes goes becomes keeps"
).split()

DEMO_BERT_CONFIG = {
    "vocab_size": None,  # set from the generated vocabulary
    "hidden_size": 64,
    "num_hidden_layers": 4,
    "num_attention_heads": 4,
    "intermediate_size": 256,
    "hidden_act": "gelu",
    "hidden_dropout_prob": 0.1,
    "attention_probs_dropout_prob": 0.1,
    "max_position_embeddings": 64,
    "type_vocab_size": 2,
    "initializer_range": 0.02,
}
SPLIT_SIZES = {"train": 8000, "dev": 2000, "test": 2000}


def vocabulary():
    words = list(dict.fromkeys(FILLER + list(POSITIVE) + list(NEGATIVE)))
    return list(SPECIAL_TOKENS) + words


def make_sentence(rng: np.random.RandomState, min_words: int = 10, max_words: int = 55):
    """One sentence and its label (1 positive, 0 negative)."""
    label = int(rng.randint(2))
    n = int(rng.randint(min_words, max_words + 1))
    words = list(rng.choice(FILLER, size=n))
    own, other = (POSITIVE, NEGATIVE) if label == 1 else (NEGATIVE, POSITIVE)
    carriers = [rng.choice(own), rng.choice(own)]
    if rng.rand() < 0.5:  # and one of the other polarity
        carriers += [rng.choice(other)]
    positions = sorted(rng.choice(n + len(carriers), size=len(carriers), replace=False))
    for position, word in zip(positions, carriers):
        words.insert(position, word)
    return " ".join(words), label


def write_data(data_dir: str, seed: int, sizes: Dict[str, int] = None) -> Dict[str, int]:
    """Writes train.tsv, dev.tsv (``sentence<TAB>label``) and test.tsv
    (``index<TAB>sentence``) in SST-2's layout. Returns the row counts."""
    sizes = dict(SPLIT_SIZES if sizes is None else sizes)
    rng = np.random.RandomState(seed)
    os.makedirs(data_dir, exist_ok=True)
    for split in ("train", "dev", "test"):
        rows = [make_sentence(rng) for _ in range(sizes[split])]
        with open(os.path.join(data_dir, split + ".tsv"), "w", encoding="utf-8") as f:
            if split == "test":
                f.write("index\tsentence\n")
                for i, (text, _) in enumerate(rows):
                    f.write("%d\t%s\n" % (i, text))
            else:
                f.write("sentence\tlabel\n")
                for text, label in rows:
                    f.write("%s\t%d\n" % (text, label))
    return sizes


def write_checkpoint_dir(bert_dir: str, seed: int) -> Dict[str, str]:
    """Writes vocab.txt, bert_config.json and a randomly initialised bert_model.ckpt."""
    from power_bert.config import write_bert_config
    from power_bert.google_ckpt import random_bert_variables, write_checkpoint
    os.makedirs(bert_dir, exist_ok=True)
    vocab = vocabulary()
    vocab_path = os.path.join(bert_dir, "vocab.txt")
    with open(vocab_path, "w", encoding="utf-8") as f:
        f.write("\n".join(vocab) + "\n")
    config = dict(DEMO_BERT_CONFIG, vocab_size=len(vocab))
    config_path = os.path.join(bert_dir, "bert_config.json")
    write_bert_config(config, config_path)
    prefix = os.path.join(bert_dir, "bert_model.ckpt")
    write_checkpoint(random_bert_variables(config, seed=seed), prefix)
    return {"vocab": vocab_path, "config": config_path, "checkpoint": prefix}


def make_demo(output_dir: str, seed: int = 0) -> Dict[str, str]:
    """Generates OUTPUT_DIR/data (demo task files) and OUTPUT_DIR/bert (checkpoint)."""
    data_dir = os.path.join(output_dir, "data")
    sizes = write_data(data_dir, seed)
    paths = write_checkpoint_dir(os.path.join(output_dir, "bert"), seed)
    paths["data_dir"] = data_dir
    print("Generated the embedded default (synthetic, not real data; randomly initialised BERT, "
          "not pre-trained): %s examples in %s, %d-layer BERT in %s"
          % ("/".join(str(sizes[s]) for s in ("train", "dev", "test")), data_dir,
             DEMO_BERT_CONFIG["num_hidden_layers"], os.path.dirname(paths["checkpoint"])))
    return paths


if __name__ == "__main__":  # (the same as ``power-bert demo``)
    from power_bert.cli import run_command
    sys.exit(run_command("demo", prog="python -m power_bert.synthetic"))
