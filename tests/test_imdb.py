"""``--TASK imdb``: the aclImdb folder layout (labels from the class folder, the seeded
80/20 split of the training reviews, the labelled test reviews), its errors, and the
real archive when it is beside the checkout."""
import os
import re
import tarfile
from pathlib import Path

import numpy as np
import pytest

from power_bert.data import DataError, DataParser, detect_layout, locate_split, read_split
from power_bert.errors import UsageError
from power_bert.options import Options, validate
from power_bert.tasks import get_task

from helpers.tiny import TINY_VOCAB, make_bert

ARCHIVE = Path(__file__).resolve().parents[2] / "shared" / "imdb" / "aclImdb_v1_labelled.tar.gz"
if not ARCHIVE.exists():
    ARCHIVE = Path("/work/shared/imdb/aclImdb_v1_labelled.tar.gz")
# train: 6 negative and 4 positive reviews (ids 2 and 10 check numeric order); test: 2 + 3
TRAIN = {"neg": [(10, 1), (2, 3), (7, 4), (0, 2), (31, 1), (5, 3)],
         "pos": [(3, 9), (11, 7), (1, 10), (4, 8)]}
TEST = {"neg": [(0, 2), (1, 4)], "pos": [(0, 7), (9, 10), (12, 8)]}


def _write(root: Path, split: str, files) -> None:
    for label, items in files.items():
        folder = root / split / label
        folder.mkdir(parents=True, exist_ok=True)
        for review_id, rating in items:
            (folder / ("%d_%d.txt" % (review_id, rating))).write_text(
                "%s review %d.<br /><br />Rated %d." % (label, review_id, rating),
                encoding="utf-8")


@pytest.fixture
def imdb(tmp_path):
    root = tmp_path / "aclImdb"
    _write(root, "train", TRAIN)
    _write(root, "test", TEST)
    (root / "train" / "urls_neg.txt").write_text("not a review\n")  # as in the download
    return tmp_path  # DATA_DIR: the folder the archive was extracted into


def _sorted_files(files):
    return [(label, i, r) for label in ("neg", "pos") for i, r in sorted(files[label])]


def test_labels_split_and_order(imdb):
    assert detect_layout("imdb", imdb) == "folders"
    train = read_split("imdb", imdb, "train").examples
    dev = read_split("imdb", imdb, "dev").examples
    test = read_split("imdb", imdb, "test").examples
    # the documented order: class folders (neg, pos) by numeric id, then a permutation
    # by the layout's split seed; the first 20% are dev
    files = _sorted_files(TRAIN)
    order = np.random.RandomState(get_task("imdb").folders.split_seed).permutation(len(files))
    want = ["train/%s/%d_%d.txt" % files[i] for i in order]
    assert [e.guid for e in dev] == want[:2] and [e.guid for e in train] == want[2:]
    for example in train + dev + test:
        label, review_id, rating = re.fullmatch(r"\w+/(neg|pos)/(\d+)_(\d+)\.txt",
                                                example.guid).groups()
        assert example.label == ("neg", "pos").index(label)  # 1 = pos
        # <br /> tags become spaces (whitespace collapsed)
        assert example.text_a == "%s review %s. Rated %s." % (label, review_id, rating)
        assert example.text_b is None
    assert sorted(e.guid for e in test) == sorted(
        "test/%s/%d_%d.txt" % f for f in _sorted_files(TEST))
    assert [e.guid for e in read_split("imdb", imdb / "aclImdb", "test").examples] == [
        e.guid for e in test]  # DATA_DIR may be aclImdb itself
    assert len(locate_split("imdb", imdb, "dev").paths) == 10  # every training review


def test_parser_subsets_and_labelled_test(imdb, tmp_path):
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(TINY_VOCAB) + "\n", encoding="utf-8")
    parser = DataParser(str(vocab), "imdb", str(imdb), seq_len=16)
    (tokens, _), y = parser.get_train_data(max_examples=3)
    assert tokens.shape == (3, 16) and len(y) == 3
    (tokens, _), y = parser.get_labelled_data("test")
    assert sorted(y.tolist()) == [0, 0, 1, 1, 1]
    (tokens, _), y = parser.get_labelled_data("test", max_examples=2)
    assert tokens.shape == (2, 16)


@pytest.mark.parametrize("damage, message", [
    (lambda root: (root / "train" / "pos" / "3_9.txt").write_bytes(b"ok \xff bad"),
     r"train/pos/3_9.txt: not valid UTF-8 \(byte 4"),
    (lambda root: (root / "train" / "neg" / "7_4.txt").write_text(" <br /> \n"),
     r"train/neg/7_4.txt: the example is empty"),
    (lambda root: os.rename(root / "train" / "pos", root / "train" / "positive"),
     r"aclImdb/train: no pos folder; a split folder of task imdb holds one folder per "
     r"class: neg, pos"),
    (lambda root: (root / "train" / "neg" / "notes.txt").write_text("x"),
     r"train/neg/notes.txt: the file name is not <id>_<rating>.txt"),
])
def test_bad_folders_name_the_file(imdb, damage, message):
    damage(imdb / "aclImdb")
    with pytest.raises(DataError, match=message):
        read_split("imdb", imdb, "train")


def test_no_layout_and_test_split_flags(tmp_path):
    with pytest.raises(DataError, match=r"Task imdb: no train or test folder in .*aclImdb"):
        detect_layout("imdb", tmp_path)
    base = dict(output_dir=str(tmp_path / "out"), data_dir=str(tmp_path),
                vocab_path=__file__, checkpoint_path="model.hdf5", eval_only=True)
    with pytest.raises(UsageError, match="--EVAL_SPLIT test: task sst-2 has no labels on "
                                         "its test set"):
        validate(Options(task="sst-2", eval_split="test", **base))
    assert validate(Options(task="imdb", eval_split="test", **base)).options.eval_split == "test"
    with pytest.raises(UsageError, match="--MAX_EVAL_EXAMPLES must be an integer >= 1"):
        validate(Options(task="imdb", max_eval_examples=0, **base))


@pytest.mark.skipif(not ARCHIVE.exists(), reason="the IMDB archive is not beside the checkout")
def test_real_archive(tmp_path):
    """The downloaded layout: 12,500 reviews per class folder; a few of each extracted
    read with their folder's label and a rating on its side (neg <= 4, pos >= 7)."""
    pattern = re.compile(r"aclImdb/(train|test)/(neg|pos)/\d+_(\d+)\.txt")
    counts, chosen = {}, []
    with tarfile.open(ARCHIVE, "r:gz") as archive:
        for member in archive:
            match = pattern.fullmatch(member.name)
            if not match:
                continue
            key = match.group(1, 2)
            counts[key] = counts.get(key, 0) + 1
            if counts[key] <= 3:
                chosen.append(member)
                archive.extract(member, tmp_path, filter="data")
    assert counts == {(s, c): 12500 for s in ("train", "test") for c in ("neg", "pos")}
    examples = read_split("imdb", tmp_path, "test").examples
    examples += read_split("imdb", tmp_path, "train").examples
    examples += read_split("imdb", tmp_path, "dev").examples
    assert len(examples) == len(chosen) == 12
    for example in examples:
        rating = int(example.guid.rsplit("_", 1)[1][:-4])
        assert (rating >= 7) if example.label == 1 else (rating <= 4)
        assert "<br" not in example.text_a and len(example.text_a) > 20


@pytest.mark.slow
def test_train_selects_on_dev_and_points_at_test(imdb, tmp_path):
    """A whole run on the folder layout: chosen on the dev part of the training reviews,
    predictions for every test review, and the log and results.json say that the
    reported set is test (then ``eval --EVAL_SPLIT test`` reports it)."""
    import csv
    import json

    import main as cli
    from helpers.runs import flags

    bert = make_bert(tmp_path / "bert", max_position_embeddings=512)
    out = tmp_path / "out"
    argv = flags(bert, imdb, out, "--EPOCH", "1", "--BATCH_SIZE", "4", "--LR_BERT", "1e-3",
                 "--LR_SOFT_EXTRACT", "0.2", "--LAMBDA", "0.05", "--DYNAMIC_PADDING")
    argv[argv.index("--TASK") + 1] = "imdb"
    assert cli.main(argv) == 0
    results = json.loads((out / "results.json").read_text())
    protocol = "selected on dev (20% of the training files, split seed 0), reported on test"
    assert results["selection"] == {"protocol": protocol, "set": "dev"}
    assert results["seq_len"] == 512
    log = (out / "log.txt").read_text()
    assert "model selection: " + protocol in log
    assert "the reported set is test: evaluate each model with power-bert eval" in log
    with open(out / "latest" / "test_predictions.tsv", newline="") as f:
        rows = list(csv.reader(f, delimiter="\t"))[1:]
    want = {"test/%s/%d_%d.txt" % (label, i, r) for label, items in TEST.items()
            for i, r in items}
    assert {r[0] for r in rows} == want and {r[1] for r in rows} <= {"neg", "pos"}
    evaluated = tmp_path / "eval"
    assert cli.main(["--TASK", "imdb", "--EVAL_ONLY", "--DATA_DIR", str(imdb),
                     "--CHECKPOINT_PATH", str(out / "retrain.hdf5"), "--EVAL_SPLIT", "test",
                     "--VOCAB_PATH", str(bert / "vocab.txt"),
                     "--OUTPUT_DIR", str(evaluated), "--VERBOSE", "0"]) == 0
    report = json.loads((evaluated / "results.json").read_text())["evaluation"]
    assert report["split"] == "test" and report["num_examples"] == len(want)
    assert 0.0 <= report["test_metrics"]["accuracy"] <= 1.0
