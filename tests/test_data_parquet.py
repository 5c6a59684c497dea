"""GLUE in the Hugging Face ``nyu-mll/glue`` parquet layout: the same examples, labels,
encoded arrays and GLUE files as the TSV layout, the layout detection and the errors of
bad parquet files."""
import collections
import re
import warnings
from pathlib import Path

import numpy as np
import pytest

import data_parser
from power_bert.data import (PARQUET, TSV, DataError, DataParser, DataWarning, Example,
                             detect_layout, find_split_file, locate_split, read_examples,
                             read_split)
from power_bert.tasks import TASKS, get_task

from helpers.glue_fixtures import (GLUE_FOLDERS, HUB_FILES, hub_from_tsv_folder, hub_path,
                                   write_folder, write_glue_root, write_hub_folder,
                                   write_hub_root, write_parquet)
from helpers.runs import flags
from helpers.tiny import make_bert, tiny_bert_config, write_vocab

SHARED_GLUE = Path(__file__).resolve().parents[1].parent / "shared" / "glue"
# task -> GLUE folder of the fixtures (every task with a hub layout)
TASK_FOLDERS = {"cola": "CoLA", "sst-2": "SST-2", "mrpc": "MRPC", "sts-b": "STS-B",
                "qqp": "QQP", "mnli-m": "MNLI", "mnli-mm": "MNLI", "qnli": "QNLI",
                "rte": "RTE", "wnli": "WNLI", "ax": "diagnostic"}
REAL_FOLDERS = {"cola": "CoLA", "sst-2": "SST-2", "mrpc": "MRPC", "sts-b": "STS-B"}
REAL_COUNTS = {"cola": (8551, 1043, 1063), "sst-2": (67349, 872, 1821),
               "mrpc": (3668, 408, 1725), "sts-b": (5749, 1500, 1379)}
CONTRADICTION, ENTAILMENT, NEUTRAL = 0, 1, 2  # this project's MNLI classes


def content(examples):
    """What must match between layouts: sentences and labels (train/dev guids are
    line numbers in a TSV file and idx values in a parquet file). Scores are compared
    as float32: the card stores them so, and the targets of both layouts are float32."""
    return [(e.text_a, e.text_b, np.float32(e.label) if isinstance(e.label, float) else e.label)
            for e in examples]


def assert_same_split(tsv, parquet):
    assert (tsv.layout, parquet.layout) == (TSV, PARQUET)
    assert content(parquet.examples) == content(tsv.examples)
    assert parquet.num_rows == tsv.num_rows and parquet.skipped_lines == ()
    if tsv.split == "test":  # the submission index: identical Examples
        assert parquet.examples == tsv.examples
    elif tsv.task.is_regression:
        assert all(isinstance(e.label, float) for e in parquet.examples)
    else:
        assert [e.guid for e in parquet.examples] == [
            "%s-idx%d" % (tsv.split, i) for i in range(len(tsv.examples))]


@pytest.fixture
def both(tmp_path):
    """(TSV GLUE root, hub root) of the same fixture files."""
    return write_glue_root(tmp_path / "glue_data"), write_hub_root(tmp_path / "glue")


def fixture_vocab(path):
    words = set()
    for files in GLUE_FOLDERS.values():
        for _, rows in files.values():
            for row in rows:
                words.update(re.findall(r"[a-z]+", " ".join(row).lower()))
    return write_vocab(path, sorted(words) + [".", ",", "?", "!", '"'])


# ----- the same data from both layouts -----------------------------------------------------

@pytest.mark.parametrize("task", list(TASK_FOLDERS))
def test_fixture_tasks_read_the_same_from_both_layouts(both, task):
    tsv_root, hub_root = both
    for split in get_task(task).splits:
        assert_same_split(read_split(task, tsv_root / TASK_FOLDERS[task], split),
                          read_split(task, hub_root, split))


@pytest.mark.parametrize("task", ["rte", "mnli-mm", "sts-b", "cola"])
def test_fixture_tasks_encode_the_same_from_both_layouts(both, tmp_path, task):
    tsv_root, hub_root = both
    vocab = fixture_vocab(tmp_path / "vocab.txt")
    tsv = DataParser(vocab, task, tsv_root / TASK_FOLDERS[task], seq_len=24, seed=3)
    hub = DataParser(vocab, task, hub_root, seq_len=24, seed=3)
    for get in ("get_train_data", "get_dev_data"):
        (tsv_ids, tsv_segments), tsv_y = getattr(tsv, get)()
        (hub_ids, hub_segments), hub_y = getattr(hub, get)()
        np.testing.assert_array_equal(hub_ids, tsv_ids)
        np.testing.assert_array_equal(hub_segments, tsv_segments)
        assert hub_y.dtype == tsv_y.dtype
        np.testing.assert_array_equal(hub_y, tsv_y)
    (tsv_x, tsv_guids), (hub_x, hub_guids) = tsv.get_test_data(), hub.get_test_data()
    assert hub_guids == tsv_guids
    for a, b in zip(hub_x, tsv_x):
        np.testing.assert_array_equal(a, b)
    assert hub.stats["test"].path.endswith("test-00000-of-00001.parquet") or task == "mnli-mm"


def test_hub_config_folder_and_root_both_work(both):
    _, hub_root = both
    assert read_examples("cola", hub_root / "cola", "dev") == read_examples("cola", hub_root,
                                                                            "dev")
    assert find_split_file("sst-2", hub_root, "dev") == str(
        hub_path(hub_root, "sst2", "validation"))


def test_mnli_matched_and_mismatched_read_their_own_splits(tmp_path):
    mnli = write_hub_folder(tmp_path, "MNLI")
    for data_dir in (tmp_path, mnli):
        for task in ("mnli-m", "mnli-mm"):
            train = read_examples(task, data_dir, "train")
            assert [e.label for e in train] == [NEUTRAL, ENTAILMENT, CONTRADICTION, ENTAILMENT,
                                                CONTRADICTION]
            assert train[4].text_a == 'He said "no" to every offer.'
        dev_m = read_examples("mnli-m", data_dir, "dev")
        assert [e.label for e in dev_m] == [NEUTRAL, CONTRADICTION, ENTAILMENT]
        dev_mm = read_examples("mnli-mm", data_dir, "dev")
        assert [e.label for e in dev_mm] == [CONTRADICTION, ENTAILMENT]
        test_m = read_examples("mnli-m", data_dir, "test")
        assert [(e.guid, e.text_a) for e in test_m] == [
            ("0", "The hotel is near the beach."), ("1", "The dog barked at night."),
            ("2", "Prices rose in May.")]
        test_mm = read_examples("mnli-mm", data_dir, "test")
        assert test_mm[3] == Example("3", "Thank you for your support.", "You supported us.",
                                     None)
    names = {split: Path(find_split_file("mnli-mm", tmp_path, split)).name
             for split in ("train", "dev", "test")}
    assert names == {"train": "train-00000-of-00001.parquet",
                     "dev": "validation_mismatched-00000-of-00001.parquet",
                     "test": "test_mismatched-00000-of-00001.parquet"}


@pytest.mark.parametrize("task, config, card_labels, expected", [
    # the card's integer -> this project's class index, by label string
    ("mnli-m", "mnli", [0, 1, 2], [ENTAILMENT, NEUTRAL, CONTRADICTION]),
    ("qnli", "qnli", [0, 1], [0, 1]),  # 0 = entailment, 1 = not_entailment, both orders
    ("rte", "rte", [1, 0], [1, 0]),
    ("wnli", "wnli", [1, 0], [1, 0]),  # 1 = entailment, which is "1" in the GLUE files
    ("cola", "cola", [0, 1], [0, 1]),  # 0 = unacceptable ("0"), 1 = acceptable ("1")
])
def test_card_integers_become_project_labels_by_string(tmp_path, task, config, card_labels,
                                                       expected):
    spec = get_task(task)
    texts = {spec.hub.text_a: ["a"] * len(card_labels)}
    if spec.hub.text_b:
        texts[spec.hub.text_b] = ["b"] * len(card_labels)
    write_parquet(hub_path(tmp_path, config, spec.hub.split_name("dev")),
                  dict(texts, label=card_labels, idx=list(range(len(card_labels)))))
    labels = [e.label for e in read_examples(task, tmp_path, "dev")]
    assert labels == expected
    assert [spec.labels[i] for i in labels] == [spec.hub.labels[k] for k in card_labels]


def test_mnli_labels_name_the_glue_server_strings(tmp_path):
    write_parquet(hub_path(tmp_path, "mnli", "validation_matched"),
                  {"premise": ["p"] * 3, "hypothesis": ["h"] * 3, "label": [2, 0, 1],
                   "idx": [0, 1, 2]})
    labels = [get_task("mnli-m").labels[e.label]
              for e in read_examples("mnli-m", tmp_path, "dev")]
    assert labels == ["contradiction", "entailment", "neutral"]


@pytest.mark.parametrize("data_dir", [".", "ax", "mnli"])
def test_ax_found_from_its_folder_the_root_or_the_mnli_folder(tmp_path, data_dir):
    write_hub_folder(tmp_path, "diagnostic")
    write_hub_folder(tmp_path, "MNLI")
    test = read_examples("ax", tmp_path / data_dir, "test")
    assert [e.guid for e in test] == ["0", "1", "2"]
    assert test[2] == Example("2", 'Tom said "hi".', "Tom spoke.", None)
    with pytest.raises(DataError, match="ax has no train split.*mnli-m"):
        read_examples("ax", tmp_path / data_dir, "train")


def test_test_rows_are_taken_in_idx_order(tmp_path):
    write_parquet(hub_path(tmp_path, "cola", "test"),
                  {"sentence": ["two", "zero", "one"], "label": [-1, -1, -1], "idx": [2, 0, 1]})
    test = read_examples("cola", tmp_path, "test")
    assert [(e.guid, e.text_a) for e in test] == [("0", "zero"), ("1", "one"), ("2", "two")]


def test_shards_are_read_in_order(tmp_path):
    for shard, rows in enumerate((["a", "b"], ["c"])):
        write_parquet(tmp_path / "sst2" / ("train-%05d-of-00002.parquet" % shard),
                      {"sentence": rows, "label": [1] * len(rows),
                       "idx": list(range(shard * 2, shard * 2 + len(rows)))})
    data = read_split("sst-2", tmp_path, "train")
    assert [e.text_a for e in data.examples] == ["a", "b", "c"]
    assert len(data.paths) == 2 and data.path.endswith("train-00000-of-00002.parquet")


# ----- which layout ------------------------------------------------------------------------

def test_layout_is_detected_from_the_folder_content(both):
    tsv_root, hub_root = both
    assert detect_layout("mrpc", tsv_root / "MRPC") == TSV
    assert detect_layout("mrpc", hub_root) == PARQUET
    assert detect_layout("mrpc", hub_root / "mrpc") == PARQUET
    assert locate_split("ax", hub_root / "mnli", "test").layout == PARQUET


def test_folder_with_neither_layout_lists_what_was_looked_for(tmp_path):
    (tmp_path / "stuff").mkdir()
    (tmp_path / "stuff" / "notes.txt").write_text("x")
    with pytest.raises(DataError) as info:
        read_examples("mnli-m", tmp_path / "stuff", "dev")
    message = str(info.value)
    assert "mnli-m" in message and "TSV" in message and "parquet" in message
    for name in ("train.tsv", "dev_matched.tsv", "test_matched.tsv"):
        assert str(tmp_path / "stuff" / name) in message
    for folder in ("stuff", "stuff/mnli"):
        for split in ("train", "validation_matched", "test_matched"):
            assert str(tmp_path / folder / ("%s-*-of-*.parquet" % split)) in message


def test_folder_with_both_layouts_is_refused(tmp_path):
    folder = write_folder(tmp_path, "RTE")
    write_parquet(hub_path(tmp_path, "RTE", "validation"),
                  {"sentence1": ["a"], "sentence2": ["b"], "label": [0], "idx": [0]})
    with pytest.raises(DataError, match="holds both GLUE layouts") as info:
        read_examples("rte", folder, "train")
    assert str(folder / "train.tsv") in str(info.value)
    assert str(folder / "validation-00000-of-00001.parquet") in str(info.value)


def test_missing_parquet_split_lists_the_patterns_tried(tmp_path):
    write_hub_folder(tmp_path, "RTE")
    hub_path(tmp_path, "rte", "test").unlink()
    with pytest.raises(DataError) as info:
        read_examples("rte", tmp_path, "test")
    message = str(info.value)
    assert "config rte, split test" in message
    assert str(tmp_path / "rte" / "test-*-of-*.parquet") in message


def test_demo_task_has_no_parquet_layout(tmp_path):
    write_hub_folder(tmp_path, "SST-2")
    assert get_task("demo").hub is None
    with pytest.raises(DataError, match="no GLUE data found") as info:
        read_examples("demo", tmp_path / "sst2", "train")
    assert "Hugging Face" not in str(info.value)


def test_check_command_shows_the_layout(both, capsys):
    tsv_root, hub_root = both
    assert data_parser.main(["--TASK", "mnli-m", "--DATA_DIR", str(hub_root)]) == 0
    out = capsys.readouterr().out
    assert "layout Hugging Face nyu-mll/glue (parquet files), config mnli" in out
    assert "dev   %s" % hub_path(hub_root, "mnli", "validation_matched") in out
    assert "labels: contradiction 1 (33.3%), entailment 1 (33.3%), neutral 1 (33.3%)" in out
    assert data_parser.main(["--TASK", "mnli-m", "--DATA_DIR", str(tsv_root / "MNLI")]) == 0
    assert "layout GLUE download script (TSV files)\n" in capsys.readouterr().out


def test_check_command_with_neither_layout_is_one_error_line(tmp_path, capsys):
    assert data_parser.main(["--TASK", "cola", "--DATA_DIR", str(tmp_path)]) == 2
    captured = capsys.readouterr()
    assert captured.err.startswith("error: Task cola: no GLUE data found")
    assert len(captured.err.strip().splitlines()) == 1


# ----- bad parquet files -------------------------------------------------------------------

def _cola_hub(root, split="train", **columns):
    """A cola hub folder whose ``split`` file has the given columns (others valid)."""
    write_hub_folder(root, "CoLA")
    base = {"sentence": ["One.", "Two.", "Three."], "label": [1, 0, 1], "idx": [0, 1, 2]}
    base.update(columns)
    path = hub_path(root, "cola", {"train": "train", "dev": "validation",
                                   "test": "test"}[split])
    write_parquet(path, {k: v for k, v in base.items() if v is not None})
    return path


@pytest.mark.parametrize("split, columns, expected", [
    ("train", {"label": None}, "no column 'label'; task cola (nyu-mll/glue config cola"),
    ("test", {"idx": None}, "no column 'idx'"),
    ("train", {"label": [1, 2, 0]},
     "column 'label', row 1 (idx 1): label 2 is not a class of nyu-mll/glue config cola "
     "(0 = unacceptable, 1 = acceptable)"),
    ("dev", {"label": [0, 1, -1]},
     "column 'label', row 2 (idx 2): label -1 is not a class of nyu-mll/glue config cola "
     "(0 = unacceptable, 1 = acceptable) (-1 marks an unlabelled test row)"),
    ("train", {"label": [0.0, 1.0, None]}, "column 'label', row 2 (idx 2): no label (null)"),
    ("train", {"label": [0.5, 1.0, 0.0]},
     "column 'label' holds float64 values; config cola's label is a class integer: "
     "0 = unacceptable, 1 = acceptable"),
    ("train", {"sentence": ["a", None, "c"]}, "column 'sentence', row 1 (idx 1): no text (null)"),
    ("dev", {"sentence": [7, 8, 9]}, "column 'sentence', row 0 (idx 0): 7 is not a string"),
    ("test", {"idx": [0, 1, 0]}, "column 'idx', row 2: idx 0 repeats (first at row 0)"),
    ("test", {"idx": ["0", "1", "2"]}, "values; the card's idx is an integer"),
    ("train", {"sentence": [], "label": [], "idx": []},
     "no usable train example for task cola: it has no data rows"),
])
def test_bad_parquet_cell_names_file_column_and_row(tmp_path, split, columns, expected):
    path = _cola_hub(tmp_path, split, **columns)
    with pytest.raises(DataError) as info:
        read_examples("cola", tmp_path, split)
    message = str(info.value)
    assert message.startswith(str(path)) and expected in message, message
    assert "\n" not in message


def test_unreadable_parquet_file_is_named(tmp_path):
    write_hub_folder(tmp_path, "CoLA")
    path = hub_path(tmp_path, "cola", "validation")
    path.write_bytes(b"sentence\tlabel\nnot a parquet file\t1\n")
    with pytest.raises(DataError) as info:
        read_examples("cola", tmp_path, "dev")
    message = str(info.value)
    assert message.startswith("%s: cannot be read as a parquet file" % path)
    assert "\n" not in message


def test_bad_score_names_file_column_and_row(tmp_path):
    write_hub_folder(tmp_path, "STS-B")
    path = write_parquet(hub_path(tmp_path, "stsb", "validation"),
                         {"sentence1": ["a", "b"], "sentence2": ["c", "d"],
                          "label": [4.5, 5.5], "idx": [0, 1]}, {"label": "float32"})
    with pytest.raises(DataError) as info:
        read_examples("sts-b", tmp_path, "dev")
    assert str(info.value) == ("%s, column 'label', row 1 (idx 1): score 5.5 for task sts-b is "
                               "not a number in [0, 5]" % path)


def test_incomplete_shards_are_refused(tmp_path):
    write_hub_folder(tmp_path, "SST-2")
    write_parquet(tmp_path / "sst2" / "train-00001-of-00002.parquet",
                  {"sentence": ["x"], "label": [0], "idx": [9]})
    hub_path(tmp_path, "sst2", "train").rename(tmp_path / "sst2" / "train-00000-of-00003.parquet")
    with pytest.raises(DataError, match="shards of split train are incomplete or mixed"):
        read_examples("sst-2", tmp_path, "train")


def test_check_command_names_the_bad_file(tmp_path, capsys):
    path = _cola_hub(tmp_path, "train", label=[1, 7, 0])
    assert data_parser.main(["--TASK", "cola", "--DATA_DIR", str(tmp_path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[0].startswith("train error: %s, column 'label', row 1 (idx 1): label 7" % path)
    assert err[-1] == "error: 1 of 3 splits could not be read: train (see above)"


# ----- the real GLUE files of ../shared/glue ------------------------------------------------

@pytest.fixture(scope="module")
def real_hub(tmp_path_factory):
    """The four shared GLUE tasks rewritten in the nyu-mll/glue layout."""
    if not SHARED_GLUE.is_dir():
        pytest.skip("real GLUE files not found at %s" % SHARED_GLUE)
    root = tmp_path_factory.mktemp("hub")
    for folder in REAL_FOLDERS.values():
        hub_from_tsv_folder(SHARED_GLUE / folder, root, folder)
    return root


@pytest.fixture(scope="module")
def real_vocab(real_hub, tmp_path_factory):
    """The 4000 most frequent words of the four real training sets, so encodings vary."""
    counts = collections.Counter()
    for task, folder in REAL_FOLDERS.items():
        for example in read_examples(task, SHARED_GLUE / folder, "train"):
            counts.update(re.findall(r"[a-z]+|[^\sa-z0-9]", (example.text_a + " " + (
                example.text_b or "")).lower()))
    return write_vocab(tmp_path_factory.mktemp("vocab") / "vocab.txt",
                       [word for word, _ in counts.most_common(4000)])


@pytest.mark.parametrize("task", list(REAL_FOLDERS))
def test_real_tasks_read_the_same_from_both_layouts(real_hub, task):
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataWarning)
        splits = {split: (read_split(task, SHARED_GLUE / REAL_FOLDERS[task], split),
                          read_split(task, real_hub, split)) for split in ("train", "dev", "test")}
    for tsv, parquet in splits.values():
        assert_same_split(tsv, parquet)
    assert tuple(len(splits[s][1].examples) for s in ("train", "dev", "test")) == \
        REAL_COUNTS[task]


@pytest.mark.slow
@pytest.mark.parametrize("task", list(REAL_FOLDERS))
def test_real_tasks_encode_the_same_from_both_layouts(real_hub, real_vocab, task):
    tsv = DataParser(real_vocab, task, SHARED_GLUE / REAL_FOLDERS[task])
    hub = DataParser(real_vocab, task, real_hub)
    pairs = [(tsv.get_train_data(max_examples=1500), hub.get_train_data(max_examples=1500)),
             (tsv.get_dev_data(), hub.get_dev_data())]
    for (tsv_x, tsv_y), (hub_x, hub_y) in pairs:
        for a, b in zip(hub_x, tsv_x):
            np.testing.assert_array_equal(a, b)
        assert hub_y.dtype == tsv_y.dtype
        np.testing.assert_array_equal(hub_y, tsv_y)
    (tsv_x, tsv_guids), (hub_x, hub_guids) = tsv.get_test_data(), hub.get_test_data()
    assert hub_guids == tsv_guids == [str(i) for i in range(REAL_COUNTS[task][2])]
    for a, b in zip(hub_x, tsv_x):
        np.testing.assert_array_equal(a, b)
    assert len(np.unique(hub_x[0][:, 1])) > 20  # the vocabulary covers the data


def test_every_hub_task_has_a_fixture():
    assert {task for task, spec in TASKS.items() if spec.hub is not None} == set(TASK_FOLDERS)
    assert set(HUB_FILES) == set(TASK_FOLDERS.values())


# ----- the same GLUE submission files ------------------------------------------------------

def random_stage_model(folder: Path, task: str, vocab_size: int) -> Path:
    """A randomly initialised retrain-stage model of ``task`` (seeded); returns its weights
    file."""
    from power_bert.backend import keras
    from power_bert.checkpoint import StageCheckpoint
    keras.utils.set_random_seed(0)
    spec = get_task(task)
    config = tiny_bert_config(vocab_size=vocab_size, max_position_embeddings=128,
                              initializer_range=0.5)
    seq_len = spec.seq_len
    stage = StageCheckpoint(config=config, task=task, num_labels=spec.num_labels,
                            seq_len=seq_len, mode="retrain",
                            retention_configuration=(seq_len, 16, 4))
    return Path(stage.save(stage.build(), str(folder), "retrain").weights_path)


def predict_glue(task, vocab, data_dir, model, out) -> str:
    import main as cli
    argv = ["--TASK", task, "--VOCAB_PATH", str(vocab), "--DATA_DIR", str(data_dir),
            "--OUTPUT_DIR", str(out), "--VERBOSE", "0", "--PREDICT_ONLY", "--PRED_GLUE",
            "--CHECKPOINT_PATH", str(model)]
    assert cli.main(argv) == 0
    return (out / "glue" / ("%s.tsv" % get_task(task).glue_name)).read_text(encoding="utf-8")


@pytest.mark.slow
def test_pred_glue_files_are_identical_from_both_layouts(real_hub, real_vocab, tmp_path,
                                                         capsys):
    vocab_size = len(real_vocab.read_text(encoding="utf-8").splitlines())
    for task, folder in REAL_FOLDERS.items():
        model = random_stage_model(tmp_path / "models" / task, task, vocab_size)
        from_tsv = predict_glue(task, real_vocab, SHARED_GLUE / folder, model,
                                tmp_path / "tsv" / task)
        from_parquet = predict_glue(task, real_vocab, real_hub, model,
                                    tmp_path / "parquet" / task)
        assert from_parquet == from_tsv  # byte for byte
        lines = from_tsv.splitlines()
        assert lines[0] == "index\tprediction" and len(lines) == REAL_COUNTS[task][2] + 1
        assert [line.split("\t")[0] for line in lines[1:]] == [
            str(i) for i in range(REAL_COUNTS[task][2])]
        predictions = {line.split("\t")[1] for line in lines[1:]}
        # The model is not constant, so the comparison can fail.
        assert len(predictions) > (100 if task == "sts-b" else 1)

    # A bad test file of the parquet layout: one error line naming the file, nothing written.
    bad = _cola_hub(tmp_path / "bad", "test", idx=[0, 1, 1])
    capsys.readouterr()
    import main as cli
    argv = ["--TASK", "cola", "--VOCAB_PATH", str(real_vocab), "--DATA_DIR",
            str(tmp_path / "bad"), "--OUTPUT_DIR", str(tmp_path / "bad_out"), "--VERBOSE", "0",
            "--PREDICT_ONLY", "--PRED_GLUE", "--CHECKPOINT_PATH",
            str(tmp_path / "models" / "cola" / "retrain.hdf5")]
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert err.splitlines() == ["error: %s, column 'idx', row 2: idx 1 repeats (first at row 1)"
                                % bad]
    assert not (tmp_path / "bad_out" / "glue").exists()


@pytest.mark.slow
def test_training_and_evaluation_give_the_same_results_from_both_layouts(tmp_path):
    """The three stages and --EVAL_ONLY of SST-2 (synthetic sentences, tiny BERT) from the
    TSV folder and from its nyu-mll/glue rewrite: the same data, so the same run."""
    import json

    import main as cli
    from power_bert import synthetic
    bert = make_bert(tmp_path / "bert")
    data = tmp_path / "SST-2"
    synthetic.write_data(str(data), seed=2, sizes={"train": 64, "dev": 32, "test": 16})
    hub = tmp_path / "glue"
    hub_from_tsv_folder(data, hub, "SST-2")
    results = {}
    for name, data_dir in (("tsv", data), ("parquet", hub)):
        out = tmp_path / ("out_" + name)
        argv = flags(bert, data_dir, out, "--EPOCH", "1", "--BATCH_SIZE", "16", "--LR_BERT",
                     "1e-3", "--LR_SOFT_EXTRACT", "0.2", "--LAMBDA", "0.05", "--PRED_GLUE")
        argv[argv.index("--TASK") + 1] = "sst-2"
        assert cli.main(argv) == 0
        assert cli.main(["--TASK", "sst-2", "--VOCAB_PATH", str(bert / "vocab.txt"),
                         "--DATA_DIR", str(data_dir), "--OUTPUT_DIR", str(out), "--VERBOSE",
                         "0", "--EVAL_ONLY", "--CHECKPOINT_PATH",
                         str(out / "retrain.hdf5")]) == 0
        results[name] = json.loads((out / "results.json").read_text())
        results[name]["glue"] = (out / "latest" / "glue" / "SST-2.tsv").read_text()
    tsv, parquet = results["tsv"], results["parquet"]
    assert parquet["retention_configuration"] == tsv["retention_configuration"]
    for key in ("baseline", "power_bert", "evaluation"):
        assert parquet[key]["dev_metrics"] == pytest.approx(tsv[key]["dev_metrics"])
    assert parquet["glue"] == tsv["glue"]
