"""The task table: names, lookups, per-task settings, and its own checks."""
import dataclasses

import pytest

from power_bert.tasks import (GLUE_SUBMISSION_NAMES, TASK_NAMES, TASKS, TaskSpec, get_task)


def test_task_names_cover_glue_imdb_and_demo():
    assert TASK_NAMES == ("cola", "sst-2", "mrpc", "sts-b", "qqp", "mnli-m", "mnli-mm",
                          "qnli", "rte", "wnli", "ax", "imdb", "demo")
    assert set(TASKS) == set(TASK_NAMES)


def test_glue_submission_names_are_the_eleven_server_files():
    assert GLUE_SUBMISSION_NAMES == ("CoLA", "SST-2", "MRPC", "STS-B", "QQP", "MNLI-m",
                                     "MNLI-mm", "QNLI", "RTE", "WNLI", "AX")
    assert get_task("demo").glue_name is None


@pytest.mark.parametrize("name", ["cola", "CoLA", " SST-2 ", "MNLI-mm", "AX"])
def test_get_task_is_case_insensitive(name):
    assert get_task(name).name == name.strip().lower()


def test_get_task_passes_a_spec_through():
    spec = get_task("rte")
    assert get_task(spec) is spec


def test_unknown_task_lists_valid_names():
    with pytest.raises(ValueError) as info:
        get_task("mnli")
    message = str(info.value)
    assert "'mnli'" in message
    for name in TASK_NAMES:
        assert name in message


@pytest.mark.parametrize("name, max_len", [
    ("cola", 64), ("sst-2", 64), ("sts-b", 64), ("mrpc", 128), ("qqp", 128), ("qnli", 128),
    ("mnli-m", 128), ("mnli-mm", 128), ("rte", 256), ("wnli", 128), ("ax", 128), ("demo", 64)])
def test_max_seq_len(name, max_len):
    assert get_task(name).seq_len == max_len


@pytest.mark.parametrize("name, metrics", [
    ("cola", ("mcc",)), ("mrpc", ("f1", "accuracy")), ("qqp", ("f1", "accuracy")),
    ("sts-b", ("spearman", "pearson")), ("sst-2", ("accuracy",)), ("mnli-m", ("accuracy",)),
    ("mnli-mm", ("accuracy",)), ("qnli", ("accuracy",)), ("rte", ("accuracy",)),
    ("wnli", ("accuracy",)), ("demo", ("accuracy",))])
def test_metrics_and_main_metric(name, metrics):
    task = get_task(name)
    assert task.metrics == metrics
    assert task.main_metric == metrics[0]


@pytest.mark.parametrize("name, labels", [
    ("cola", ("0", "1")), ("sst-2", ("0", "1")), ("mrpc", ("0", "1")), ("qqp", ("0", "1")),
    ("wnli", ("0", "1")), ("demo", ("0", "1")),
    ("rte", ("entailment", "not_entailment")), ("qnli", ("entailment", "not_entailment")),
    ("mnli-m", ("contradiction", "entailment", "neutral")),
    ("mnli-mm", ("contradiction", "entailment", "neutral")),
    ("ax", ("contradiction", "entailment", "neutral"))])
def test_labels_and_num_labels(name, labels):
    task = get_task(name)
    assert task.labels == labels
    assert task.num_labels == len(labels)
    assert not task.is_regression


def test_stsb_is_regression_with_range():
    task = get_task("sts-b")
    assert task.is_regression
    assert task.labels is None
    assert task.num_labels == 1
    assert task.score_range == (0.0, 5.0)


def test_mnli_reads_matched_and_mismatched_files():
    matched, mismatched = get_task("mnli-m"), get_task("mnli-mm")
    assert (matched.train_file, matched.dev_file, matched.test_file) == (
        "train.tsv", "dev_matched.tsv", "test_matched.tsv")
    assert (mismatched.train_file, mismatched.dev_file, mismatched.test_file) == (
        "train.tsv", "dev_mismatched.tsv", "test_mismatched.tsv")
    assert [matched.split_num_columns(s) for s in ("train", "dev", "test")] == [12, 16, 10]
    assert (matched.text_a, matched.text_b, matched.label) == (8, 9, -1)


def test_ax_is_test_only_and_predicted_by_mnli():
    ax = get_task("ax")
    assert ax.splits == ("test",)
    assert ax.train_file is None and ax.dev_file is None
    assert ax.test_file == "diagnostic.tsv"
    assert ax.label_task == "mnli-m"
    assert ax.labels == get_task(ax.label_task).labels
    assert "diagnostic" in ax.search_dirs and "../diagnostic" in ax.search_dirs


def test_split_helpers():
    cola = get_task("cola")
    assert cola.splits == ("train", "dev", "test")
    assert cola.split_has_header("train") is False
    assert cola.split_has_header("test") is True
    assert cola.split_file("dev") == "dev.tsv"
    with pytest.raises(ValueError, match="validation"):
        cola.split_file("validation")


def test_spec_is_frozen():
    with pytest.raises(dataclasses.FrozenInstanceError):
        get_task("cola").seq_len = 128


def _spec(**changes):
    fields = {f.name: getattr(get_task("rte"), f.name) for f in dataclasses.fields(TaskSpec)}
    fields.update(changes)
    return TaskSpec(**fields)


def test_bad_table_entries_are_rejected():
    assert _spec().name == "rte"
    with pytest.raises(ValueError, match="label=7 is outside a 4-column row"):
        _spec(label=7)
    with pytest.raises(ValueError, match="unknown metrics"):
        _spec(metrics=("bleu",))
    with pytest.raises(ValueError, match="score_range"):
        _spec(labels=None)
    with pytest.raises(ValueError, match="lower case"):
        _spec(name="RTE")


# The nyu-mll/glue card (https://huggingface.co/datasets/nyu-mll/glue, README.md
# dataset_info): config, dev/test split names, sentence columns, class names by integer.
CARD = {
    "cola": ("cola", "validation", "test", ("sentence", None), ("unacceptable", "acceptable")),
    "sst-2": ("sst2", "validation", "test", ("sentence", None), ("negative", "positive")),
    "mrpc": ("mrpc", "validation", "test", ("sentence1", "sentence2"),
             ("not_equivalent", "equivalent")),
    "sts-b": ("stsb", "validation", "test", ("sentence1", "sentence2"), None),
    "qqp": ("qqp", "validation", "test", ("question1", "question2"),
            ("not_duplicate", "duplicate")),
    "mnli-m": ("mnli", "validation_matched", "test_matched", ("premise", "hypothesis"),
               ("entailment", "neutral", "contradiction")),
    "mnli-mm": ("mnli", "validation_mismatched", "test_mismatched", ("premise", "hypothesis"),
                ("entailment", "neutral", "contradiction")),
    "qnli": ("qnli", "validation", "test", ("question", "sentence"),
             ("entailment", "not_entailment")),
    "rte": ("rte", "validation", "test", ("sentence1", "sentence2"),
            ("entailment", "not_entailment")),
    "wnli": ("wnli", "validation", "test", ("sentence1", "sentence2"),
             ("not_entailment", "entailment")),
    "ax": ("ax", None, "test", ("premise", "hypothesis"),
           ("entailment", "neutral", "contradiction")),
}
# The GLUE files' (and server's) string of each card class: the binary tasks' 0/1 are the
# card's 0/1 (the hub built its integers from those files).
CARD_TO_GLUE = {"unacceptable": "0", "acceptable": "1", "negative": "0", "positive": "1",
                "not_equivalent": "0", "equivalent": "1", "not_duplicate": "0",
                "duplicate": "1"}


@pytest.mark.parametrize("name", list(CARD))
def test_hub_layout_follows_the_dataset_card(name):
    config, dev, test, (text_a, text_b), names = CARD[name]
    hub = get_task(name).hub
    assert (hub.config, hub.dev_split, hub.test_split) == (config, dev, test)
    assert hub.train_split == (None if name == "ax" else "train")
    assert (hub.text_a, hub.text_b) == (text_a, text_b)
    assert hub.label_names == names
    if names is not None:
        wnli = {"not_entailment": "0", "entailment": "1"} if name == "wnli" else {}
        assert hub.labels == tuple(wnli.get(n, CARD_TO_GLUE.get(n, n)) for n in names)
    assert hub.columns("train")[-2:] == ("idx", "label")
    assert hub.columns("test")[-1] == "idx"


def test_hub_search_folders():
    assert get_task("cola").hub.search_dirs == ("", "cola")
    assert get_task("ax").hub.search_dirs == ("", "ax", "../ax")
    assert get_task("demo").hub is None


def test_bad_hub_entries_are_rejected():
    hub = get_task("rte").hub
    with pytest.raises(ValueError, match="not the task's labels"):
        _spec(hub=dataclasses.replace(hub, labels=("entailment", "contradiction")))
    with pytest.raises(ValueError, match="hub dev split must exist"):
        _spec(hub=dataclasses.replace(hub, dev_split=None))
    with pytest.raises(ValueError, match="hub text_b"):
        _spec(hub=dataclasses.replace(hub, text_b=None))
    with pytest.raises(ValueError, match="3 label_names but 2 labels"):
        dataclasses.replace(hub, label_names=("a", "b", "c"))
    with pytest.raises(ValueError, match="duplicate labels"):
        dataclasses.replace(hub, labels=("entailment", "entailment"))
