"""GLUE prediction files and the zip command."""
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from power_bert import cli
from power_bert.submission import (format_predictions, submission_path,
                                   write_glue_predictions, write_predictions)
from power_bert.tasks import get_task

REPO = Path(__file__).resolve().parents[1]

FILE_NAMES = {
    "cola": "CoLA.tsv", "sst-2": "SST-2.tsv", "mrpc": "MRPC.tsv", "sts-b": "STS-B.tsv",
    "qqp": "QQP.tsv", "mnli-m": "MNLI-m.tsv", "mnli-mm": "MNLI-mm.tsv", "qnli": "QNLI.tsv",
    "rte": "RTE.tsv", "wnli": "WNLI.tsv", "ax": "AX.tsv",
}


def submit(argv):
    """``power-bert submit`` with these flags; returns the exit status."""
    return cli.run_command("submit", argv)


def _read_lines(path):
    return Path(path).read_text(encoding="utf-8").split("\n")


@pytest.mark.parametrize("task, file_name", list(FILE_NAMES.items()))
def test_every_glue_task_gets_its_server_file_name(tmp_path, task, file_name):
    spec = get_task(task)
    n = 3
    predictions = (np.array([4.2, 0.1, 2.5]) if spec.is_regression
                   else np.eye(spec.num_labels)[[0, spec.num_labels - 1, 0]])
    path = write_glue_predictions(task, ["0", "1", "2"], predictions, tmp_path)
    assert Path(path) == tmp_path / "glue" / file_name
    lines = _read_lines(path)
    assert lines[0] == "index\tprediction"
    assert len(lines) == n + 2 and lines[-1] == ""  # header, 3 rows, final newline
    assert [line.split("\t")[0] for line in lines[1:-1]] == ["0", "1", "2"]


@pytest.mark.parametrize("task, expected", [
    ("cola", ["0", "1", "1"]), ("sst-2", ["0", "1", "1"]), ("mrpc", ["0", "1", "1"]),
    ("qqp", ["0", "1", "1"]), ("wnli", ["0", "1", "1"]),
    ("rte", ["entailment", "not_entailment", "not_entailment"]),
    ("qnli", ["entailment", "not_entailment", "not_entailment"]),
])
def test_binary_label_strings(task, expected):
    probs = np.array([[0.9, 0.1], [0.2, 0.8], [0.4, 0.6]])
    assert format_predictions(task, probs) == expected


@pytest.mark.parametrize("task", ["mnli-m", "mnli-mm", "ax"])
def test_three_way_label_strings(task):
    probs = np.array([[0.1, 0.7, 0.2], [0.6, 0.3, 0.1], [0.2, 0.2, 0.6]])
    assert format_predictions(task, probs) == ["entailment", "contradiction", "neutral"]
    assert format_predictions(task, np.array([2, 1])) == ["neutral", "entailment"]


def test_stsb_scores_are_clipped_with_three_decimals(tmp_path):
    scores = np.array([[-0.3], [2.71828], [5.6], [-0.0001], [4.9996]])
    path = write_glue_predictions("sts-b", ["10", "11", "12", "13", "14"], scores, tmp_path)
    assert _read_lines(path)[1:-1] == ["10\t0.000", "11\t2.718", "12\t5.000", "13\t0.000",
                                      "14\t5.000"]


def test_rows_follow_the_given_order(tmp_path):
    guids = ["5", "2", "9", "0"]
    probs = np.array([[0.1, 0.9], [0.8, 0.2], [0.3, 0.7], [0.6, 0.4]])
    path = write_glue_predictions("rte", guids, probs, tmp_path)
    assert _read_lines(path)[1:-1] == ["5\tnot_entailment", "2\tentailment",
                                      "9\tnot_entailment", "0\tentailment"]


def test_mnli_matched_and_mismatched_do_not_overwrite_each_other(tmp_path):
    probs = np.eye(3)
    matched = write_glue_predictions("mnli-m", ["0", "1", "2"], probs, tmp_path)
    mismatched = write_glue_predictions("mnli-mm", ["0", "1", "2"], probs[::-1], tmp_path)
    assert matched != mismatched
    assert _read_lines(matched)[1] == "0\tcontradiction"
    assert _read_lines(mismatched)[1] == "0\tneutral"


def test_errors(tmp_path):
    with pytest.raises(ValueError, match="demo has no GLUE submission"):
        write_glue_predictions("demo", ["0"], np.array([[0.3, 0.7]]), tmp_path)
    with pytest.raises(ValueError, match="2 guids but 3 predictions"):
        write_glue_predictions("cola", ["0", "1"], np.eye(2)[[0, 1, 1]], tmp_path)
    with pytest.raises(ValueError, match="3 classes"):
        write_glue_predictions("ax", ["0"], np.array([[0.3, 0.7]]), tmp_path)
    with pytest.raises(ValueError, match="NaN"):
        write_glue_predictions("sts-b", ["0"], np.array([np.nan]), tmp_path)
    with pytest.raises(ValueError, match="bad guid"):
        write_glue_predictions("cola", ["0\t1"], np.array([[0.3, 0.7]]), tmp_path)
    with pytest.raises(ValueError, match="class indices"):
        format_predictions("rte", np.array([0, 2]))


def test_failed_write_leaves_the_previous_file_and_no_temporary(tmp_path):
    path = write_glue_predictions("cola", ["0", "1"], np.eye(2), tmp_path)
    before = Path(path).read_bytes()
    with pytest.raises(ValueError):
        write_glue_predictions("cola", ["0", "1"], np.array([[np.nan, 1.0], [1.0, 0.0]]),
                               tmp_path)
    assert Path(path).read_bytes() == before
    assert os.listdir(tmp_path / "glue") == ["CoLA.tsv"]


def test_write_predictions_to_any_path_works_for_demo(tmp_path):
    path = write_predictions("demo", ["0", "1"], np.array([[0.2, 0.8], [0.9, 0.1]]),
                             str(tmp_path / "out" / "test_predictions.tsv"))
    assert _read_lines(path) == ["index\tprediction", "0\t1", "1\t0", ""]


def test_submission_path():
    assert submission_path("mnli-mm", "run") == os.path.join("run", "glue", "MNLI-mm.tsv")


# ----- the zip command ---------------------------------------------------------------------

def _run_with(tmp_path, name, tasks):
    for task in tasks:
        spec = get_task(task)
        predictions = np.zeros(2) if spec.is_regression else np.eye(spec.num_labels)[:2]
        write_glue_predictions(task, ["0", "1"], predictions, tmp_path / name)
    return str(tmp_path / name)


def test_zip_gathers_files_at_its_root_and_lists_missing(tmp_path, capsys):
    first = _run_with(tmp_path, "run_a", ["cola", "sts-b"])
    second = _run_with(tmp_path, "run_b", ["mnli-m", "mnli-mm", "ax"])
    zip_path = tmp_path / "submission.zip"
    assert submit(["--OUTPUT_DIR", first, second, "--ZIP", str(zip_path)]) == 0
    out = capsys.readouterr().out
    assert "missing (6): SST-2, MRPC, QQP, QNLI, RTE, WNLI" in out
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.namelist() == ["CoLA.tsv", "STS-B.tsv", "MNLI-m.tsv", "MNLI-mm.tsv",
                                      "AX.tsv"]
        assert archive.read("AX.tsv") == (tmp_path / "run_b" / "glue" / "AX.tsv").read_bytes()


def test_zip_complete_submission(tmp_path, capsys):
    run = _run_with(tmp_path, "all", list(FILE_NAMES))
    assert submit(["--OUTPUT_DIR", run, "--ZIP", str(tmp_path / "s.zip")]) == 0
    assert "missing: none" in capsys.readouterr().out
    with zipfile.ZipFile(tmp_path / "s.zip") as archive:
        assert sorted(archive.namelist()) == sorted(FILE_NAMES.values())


def test_zip_refuses_two_different_files_with_the_same_name(tmp_path, capsys):
    first = _run_with(tmp_path, "run_a", ["rte"])
    second = tmp_path / "run_b"
    write_glue_predictions("rte", ["0", "1"], np.eye(2)[::-1], second)
    zip_path = tmp_path / "submission.zip"
    assert submit(["--OUTPUT_DIR", first, str(second), "--ZIP", str(zip_path)]) == 2
    err = capsys.readouterr().err
    assert "two different RTE.tsv" in err
    assert not zip_path.exists()


def test_zip_accepts_identical_duplicates(tmp_path, capsys):
    first = _run_with(tmp_path, "run_a", ["wnli"])
    second = _run_with(tmp_path, "run_b", ["wnli"])
    assert submit(["--OUTPUT_DIR", first, second, "--ZIP", str(tmp_path / "s.zip")]) == 0
    assert "identical" in capsys.readouterr().out


def test_zip_with_nothing_found_fails(tmp_path, capsys):
    (tmp_path / "empty").mkdir()
    assert submit(["--OUTPUT_DIR", str(tmp_path / "empty"), "--ZIP", str(tmp_path / "s.zip")]) == 2
    assert "no GLUE prediction file" in capsys.readouterr().err
    assert not (tmp_path / "s.zip").exists()


def test_zip_refuses_a_file_without_the_header(tmp_path, capsys):
    folder = tmp_path / "run" / "glue"
    folder.mkdir(parents=True)
    (folder / "CoLA.tsv").write_text("id\tlabel\n0\t1\n", encoding="utf-8")
    assert submit(["--OUTPUT_DIR", str(tmp_path / "run"), "--ZIP", str(tmp_path / "s.zip")]) == 2
    assert "index\\tprediction" in capsys.readouterr().err


def test_module_entry_point(tmp_path):
    run = _run_with(tmp_path, "run", ["qnli"])
    zip_path = tmp_path / "s.zip"
    result = subprocess.run([sys.executable, "-m", "power_bert.submission", "--OUTPUT_DIR", run,
                             "--ZIP", str(zip_path)],
                            cwd=REPO, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "missing (10)" in result.stdout
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.namelist() == ["QNLI.tsv"]


def test_files_of_the_latest_training_run_are_found(tmp_path, capsys):
    """A training run keeps its GLUE files in OUTPUT_DIR/runs/<id>/glue (OUTPUT_DIR/latest);
    predictions made later with --PREDICT_ONLY are in OUTPUT_DIR/glue."""
    out = tmp_path / "mrpc"
    _run_with(out / "runs", "20260101-000000-abc", ["mrpc"])
    os.symlink(os.path.join("runs", "20260101-000000-abc"), out / "latest")
    _run_with(tmp_path, "mrpc", ["cola"])
    zip_path = tmp_path / "s.zip"
    assert submit(["--OUTPUT_DIR", str(out), "--ZIP", str(zip_path)]) == 0
    with zipfile.ZipFile(zip_path) as archive:
        assert archive.namelist() == ["CoLA.tsv", "MRPC.tsv"]
