"""Never lose a result: a training process killed (SIGKILL) in any stage, or between two
stages, resumes when the same command runs again; it redoes at most the interrupted
epoch, ends with the same retention configuration and metrics as an uninterrupted run
(dropout off), and an earlier completed run in the same OUTPUT_DIR stays byte-identical.
"""
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from power_bert import synthetic

from test_pipeline import make_bert

ROOT = Path(__file__).resolve().parents[1]
EPOCHS = 3


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    bert = make_bert(root / "bert", hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    data = root / "data"
    synthetic.write_data(str(data), seed=5, sizes={"train": 64, "dev": 16, "test": 8})
    reference = root / "reference"
    assert subprocess.run(command(bert, data, reference), cwd=str(ROOT),
                          capture_output=True, timeout=600).returncode == 0
    earlier = root / "earlier"  # an OUTPUT_DIR holding a completed run of another seed
    assert subprocess.run(command(bert, data, earlier, seed="11"), cwd=str(ROOT),
                          capture_output=True, timeout=600).returncode == 0
    return {"root": root, "bert": bert, "data": data, "reference": reference,
            "earlier": earlier}


def command(bert, data, out, seed="3"):
    return [sys.executable, "main.py", "--TASK", "demo", "--BERT_CONFIG_PATH",
            str(bert / "bert_config.json"), "--CHECKPOINT_PATH", str(bert / "bert_model.ckpt"),
            "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR", str(data), "--OUTPUT_DIR",
            str(out), "--EPOCH", str(EPOCHS), "--BATCH_SIZE", "16", "--LR_BERT", "1e-3",
            "--LR_SOFT_EXTRACT", "0.2", "--LAMBDA", "0.05", "--SEED", seed, "--VERBOSE", "0"]


def results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def checksums(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def kill_when(argv, log: Path, pattern: str) -> str:
    """Starts a training process, kills it (SIGKILL) as soon as its log matches
    ``pattern`` after the process started, and returns the log it had written."""
    start = log.read_text() if log.exists() else ""
    proc = subprocess.Popen(argv, cwd=str(ROOT), stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    deadline = time.time() + 600
    try:
        while time.time() < deadline:
            text = log.read_text()[len(start):] if log.exists() else ""
            if re.search(pattern, text):
                proc.kill()
                proc.wait()
                return text
            assert proc.poll() is None, "the run ended before %r" % pattern
            time.sleep(0.02)
        raise AssertionError("no %r in the log within 10 minutes" % pattern)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


@pytest.mark.slow
@pytest.mark.parametrize("stage, pattern", [
    ("finetune", r"finetune epoch 1/3"),
    ("search", r"search epoch 1/3"),
    ("retrain", r"retrain epoch 2/3"),
    ("between", r"Retention Configuration: "),  # the search stage has just finished
])
def test_a_killed_run_resumes_and_ends_as_an_uninterrupted_one(setup, tmp_path, stage, pattern):
    bert, data = setup["bert"], setup["data"]
    out = tmp_path / "out"
    # An earlier, completed run in the same OUTPUT_DIR (another seed: another run).
    shutil.copytree(setup["earlier"], out, symlinks=True)
    earlier = results(out)["run"]
    before = checksums(out / "runs" / earlier)

    killed_log = kill_when(command(bert, data, out), out / "log.txt", pattern)
    assert (out / "latest").resolve().name == earlier  # the killed run published nothing
    assert results(out)["run"] == earlier

    again = subprocess.run(command(bert, data, out), cwd=str(ROOT), capture_output=True,
                           text=True, timeout=600)
    assert again.returncode == 0, again.stderr[-2000:]
    log = (out / "log.txt").read_text()
    resumed_log = log[log.rindex("power_bert run:"):]
    assert "resuming run" in resumed_log

    # At most the interrupted epoch is redone: each epoch is saved before its log line, so
    # a stage restarts after the last epoch the killed process logged for it.
    for name in ("finetune", "search", "retrain"):
        logged = [int(e) for e in re.findall(r"%s epoch (\d+)/3" % name, killed_log)]
        redone = [int(e) for e in re.findall(r"%s epoch (\d+)/3" % name, resumed_log)]
        if logged:
            assert not redone or min(redone) == max(logged) + 1, (name, logged, redone)
        if logged and max(logged) < EPOCHS:
            assert "%s: resuming after epoch %d/3" % (name, max(logged)) in resumed_log

    reference, final = results(setup["reference"]), results(out)
    assert final["run"] != earlier
    assert final["retention_configuration"] == reference["retention_configuration"]
    for key in ("baseline", "power_bert"):
        assert final[key]["epoch"] == reference[key]["epoch"]
        for metric, value in reference[key]["dev_metrics"].items():
            assert final[key]["dev_metrics"][metric] == pytest.approx(value, abs=1e-5)
    assert final["search"]["masses"] == pytest.approx(reference["search"]["masses"], abs=1e-4)
    assert checksums(out / "runs" / earlier) == before  # the completed run is untouched
    assert not (out / ".lock").exists()
    # The reference and the resumed run predict the same test labels.
    assert (out / "latest" / "test_predictions.tsv").read_text() == (
        setup["reference"] / "latest" / "test_predictions.tsv").read_text()


@pytest.mark.slow
def test_a_completed_run_is_not_resumed_and_fresh_starts_over(setup, tmp_path):
    """The same command after a completed run trains a new run; --FRESH never resumes."""
    bert, data = setup["bert"], setup["data"]
    out = tmp_path / "out"
    argv = command(bert, data, out)
    argv[argv.index("--EPOCH") + 1] = "1"
    for extra in ([], []):
        assert subprocess.run(argv + extra, cwd=str(ROOT), capture_output=True,
                              timeout=600).returncode == 0
    runs = sorted(p.name for p in (out / "runs").iterdir())
    assert len(runs) == 2 and results(out)["run"] == runs[-1]
    kill_when(argv, out / "log.txt", r"search epoch 1/1")
    assert subprocess.run(argv + ["--FRESH"], cwd=str(ROOT), capture_output=True,
                          timeout=600).returncode == 0
    log = (out / "log.txt").read_text()
    assert "resuming run" not in log[log.rindex("power_bert run:"):]
    assert len(list((out / "runs").iterdir())) == 4  # the killed one is kept, not reused
