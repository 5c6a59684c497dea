"""The world of the resume tests (tests/test_resume*.py): a tiny BERT with dropout on,
STS-B files of synthetic sentences, the training command, and comparisons of two runs.

The world makes every resume bug visible: dropout is on (its masks must be drawn again as
they were), the dev metric (STS-B's Spearman) changes at every epoch, the search leaves
non-zero masses and a retention configuration that is not all ones, the fine-tuning keeps
its second epoch (replacing the first) and the re-training its first.

Stops come from the project's test hook ``POWER_BERT_TEST_KILL_BEFORE="<name>:<n>"``
(``outputs.commit_step``): the process kills itself (SIGKILL) just before the n-th commit
step (rename, link, resume-state write) on a path ending with ``/<name>``.
"""
import hashlib
import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np

from power_bert import synthetic
from power_bert.outputs import KILL_BEFORE_ENV

from helpers.runs import ROOT
from helpers.tiny import make_bert

STAGES = ("finetune", "search", "retrain")
STSB_COLUMNS = ["index", "genre", "filename", "year", "old_index", "source1", "source2",
                "sentence1", "sentence2"]


def write_world(root: Path):
    """A tiny BERT (dropout 0.1) and STS-B files of synthetic sentences whose score
    grows with the first sentence's length (learnable in a few steps)."""
    bert = make_bert(root / "bert")
    data = root / "data"
    data.mkdir()
    rng = np.random.RandomState(7)
    for split, size in (("train", 96), ("dev", 32), ("test", 8)):
        labelled = split != "test"
        rows = ["\t".join(STSB_COLUMNS + (["score"] if labelled else []))]
        for index in range(size):
            first, _ = synthetic.make_sentence(rng, 4, 24)
            second, _ = synthetic.make_sentence(rng, 4, 24)
            score = ["%.3f" % min(5.0, len(first.split()) / 5.0)] if labelled else []
            rows.append("\t".join([str(index), "g", "f", "y", str(index), "none", "none",
                                   first, second] + score))
        (data / ("%s.tsv" % split)).write_text("\n".join(rows) + "\n", encoding="utf-8")
    return bert, data


def command(world, out: Path, *extra):
    bert = world["bert"]
    return [sys.executable, "main.py", "--TASK", "sts-b",
            "--BERT_CONFIG_PATH", str(bert / "bert_config.json"),
            "--CHECKPOINT_PATH", str(bert / "bert_model.ckpt"),
            "--VOCAB_PATH", str(bert / "vocab.txt"), "--DATA_DIR", str(world["data"]),
            "--OUTPUT_DIR", str(out), "--EPOCH", "2", "--BATCH_SIZE", "8",
            "--LR_BERT", "3e-4", "--LR_SOFT_EXTRACT", "0.05", "--LAMBDA", "0.05",
            "--SEED", "3", "--VERBOSE", "0", *extra]


def run(world, out: Path, kill_before=None, *extra):
    env = dict(os.environ)
    env.pop(KILL_BEFORE_ENV, None)
    if kill_before:
        env[KILL_BEFORE_ENV] = kill_before
    return subprocess.run(command(world, out, *extra), cwd=str(ROOT), env=env,
                          capture_output=True, text=True, timeout=600)


def results(out: Path) -> dict:
    return json.loads((out / "results.json").read_text())


def weights(path: Path) -> dict:
    arrays = {}
    with h5py.File(str(path), "r") as f:
        f.visititems(lambda name, obj: arrays.__setitem__(name, obj[()])
                     if isinstance(obj, h5py.Dataset) else None)
    return arrays


def checksums(folder: Path) -> dict:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and not p.is_symlink()}


def assert_equal_runs(run_dir: Path, reference_dir: Path):
    """Every stage's weights bitwise equal; the same histories, metrics, masses,
    retention configuration and test predictions."""
    for stage in STAGES:
        got, want = weights(run_dir / ("%s.hdf5" % stage)), weights(
            reference_dir / ("%s.hdf5" % stage))
        assert got.keys() == want.keys(), stage
        for name in want:
            assert np.array_equal(got[name], want[name]), (stage, name)
    got, want = (json.loads((d / "results.json").read_text()) for d in (run_dir, reference_dir))
    for entry in ("baseline", "search", "power_bert"):
        for key in ("history", "dev_metrics", "epoch", "masses"):
            assert got[entry].get(key) == want[entry].get(key), (entry, key)
    assert got["retention_configuration"] == want["retention_configuration"]
    assert (run_dir / "test_predictions.tsv").read_text() == (
        reference_dir / "test_predictions.tsv").read_text()


EPOCH_LINE = re.compile(r"^\[[^]]*\] ((finetune|search|retrain) epoch (\d)/2: .*)$", re.M)


def epoch_lines(log: str) -> dict:
    """(stage, epoch) -> its log line (train loss, dev metrics, masses, retention
    configuration, whether saved), the last one written for that epoch."""
    return {(m.group(2), int(m.group(3))): m.group(1) for m in EPOCH_LINE.finditer(log)}


def sigterm_when(world, out: Path, pattern: str):
    """Starts the command and sends SIGTERM once its log shows ``pattern``."""
    log = out / "log.txt"
    start = len(log.read_text()) if log.exists() else 0
    proc = subprocess.Popen(command(world, out), cwd=str(ROOT), stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 600
    while not (log.exists() and re.search(pattern, log.read_text()[start:])):
        assert proc.poll() is None and time.time() < deadline, "no %r in the log" % pattern
        time.sleep(0.02)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=600)
    return proc.returncode, stderr


def make_world(root: Path) -> dict:
    """The world and an uninterrupted reference run (``reference``: its OUTPUT_DIR,
    ``reference_run``: its run id)."""
    bert, data = write_world(root)
    world = {"root": root, "bert": bert, "data": data}
    reference = root / "reference"
    done = run(world, reference)
    assert done.returncode == 0, done.stderr[-3000:]
    world["reference"] = reference
    world["reference_run"] = results(reference)["run"]
    return world
