"""Exact resume: a training process stopped at any point (kill -9 at each commit step of
each stage, SIGTERM) and run again with the same command ends with every stage's weights
bitwise equal to an uninterrupted run's, and the same per-epoch dev metrics, masses,
retention configuration and test predictions; a completed run in the same OUTPUT_DIR is
never touched.

The fixture makes every one of these visible: dropout is on (its masks must be drawn
again as they were), the dev metric (STS-B's Spearman) changes at every epoch, the
search leaves non-zero masses and a retention configuration that is not all ones, the
fine-tuning keeps its second epoch (replacing the first) and the re-training its first.

The kills come from the project's test hook ``POWER_BERT_TEST_KILL_BEFORE="<name>:<n>"``
(``outputs.commit_step``): the process kills itself (SIGKILL) just before the n-th commit
step (rename, link, resume-state write) on a path ending with ``/<name>``.
"""
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import h5py
import numpy as np
import pytest

from power_bert import synthetic
from power_bert.config import write_bert_config
from power_bert.google_ckpt import random_bert_variables, write_checkpoint
from power_bert.outputs import KILL_BEFORE_ENV

ROOT = Path(__file__).resolve().parents[1]
STAGES = ("finetune", "search", "retrain")
TINY = {"hidden_size": 16, "num_hidden_layers": 3, "num_attention_heads": 2,
        "intermediate_size": 32, "hidden_act": "gelu", "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1, "max_position_embeddings": 64,
        "type_vocab_size": 2, "initializer_range": 0.02}
STSB_COLUMNS = ["index", "genre", "filename", "year", "old_index", "source1", "source2",
                "sentence1", "sentence2"]


def write_world(root: Path):
    """A tiny BERT (dropout 0.1) and STS-B files of synthetic sentences whose score
    grows with the first sentence's length (learnable in a few steps)."""
    bert = root / "bert"
    bert.mkdir(parents=True)
    (bert / "vocab.txt").write_text("\n".join(synthetic.vocabulary()) + "\n", encoding="utf-8")
    config = dict(TINY, vocab_size=len(synthetic.vocabulary()))
    write_bert_config(config, str(bert / "bert_config.json"))
    write_checkpoint(random_bert_variables(config, seed=0), str(bert / "bert_model.ckpt"))
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


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    root = tmp_path_factory.mktemp("resume")
    bert, data = write_world(root)
    world = {"root": root, "bert": bert, "data": data}
    reference = root / "reference"
    done = run(world, reference)
    assert done.returncode == 0, done.stderr[-3000:]
    world["reference"] = reference
    world["reference_run"] = results(reference)["run"]
    return world


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


def test_the_fixture_shows_what_resume_must_restore(world):
    """Dev metrics move between epochs, masses are not zero, the retention configuration
    is not all ones, and the kept epochs differ between stages."""
    reference = results(world["reference"])
    lines = epoch_lines((world["reference"] / "log.txt").read_text())
    for stage in STAGES:
        metrics = [re.search(r"dev (spearman=\S+)", lines[stage, e]).group(1) for e in (1, 2)]
        assert metrics[0] != metrics[1], (stage, metrics)
    assert min(reference["search"]["masses"]) > 1.0
    assert set(reference["retention_configuration"]) != {1}
    assert (reference["baseline"]["epoch"], reference["power_bert"]["epoch"]) == (2, 1)


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


# Each chain stops the same command again and again at the named points, then lets it
# finish; every stop must have happened (a point that is never reached fails the test).
# Counts are per process: a resumed process counts from its own start. "(published)":
# the stop comes after the run was published.
CHAINS = {
    "finetune": [
        "finetune.hdf5:1",                 # epoch 1 committed, its weights still pending
        "finetune.json:1",                 # the rerun's recovery: weights renamed, not meta
        "finetune.resume/checkpoint:1",    # epoch 2 of the rerun, before its state
        "finetune.resume/state.json:1",    # epoch 2's files pending, its commit point not
        "finetune.hdf5:1",                 # epoch 2 committed, replacing epoch 1's files
        "run.json:1",                      # the stage done, not yet recorded as finished
    ],
    "search": [
        "SIGTERM:search epoch 1/2",        # SIGTERM in the middle of the search
        "search.resume/checkpoint:1",      # the rerun's epoch 2, before its state
        "search.resume/state.json:1",      # ... before its commit point
        "search.hdf5:1",                   # epoch 2 committed, its weights still pending
        "search.json:1",                   # the rerun's recovery: weights renamed, not meta
        "run.json:1",                      # the stage done, not yet recorded as finished
    ],
    "retrain": [
        "retrain.resume/state.json:1",     # epoch 1, before the commit point
        "retrain.hdf5:1",                  # epoch 1 committed, its weights still pending
        "retrain.json:1",                  # the rerun's recovery: weights renamed, not meta
        "retrain.resume/state.json:1",     # the rerun's epoch 2 (not kept), before commit
        "test_predictions.tsv:1",          # all stages finished, predictions not yet
        "run.json:1",                      # predictions written, run not marked complete
        "latest:1",                        # complete; the rerun publishes: killed before
        "out/results.json:1",              # the link, then before the top-level results,
        "run.json:1 (published)",          # then before it records the publication
    ],
}


@pytest.mark.slow
@pytest.mark.parametrize("chain", sorted(CHAINS))
def test_stopped_at_every_commit_step_and_resumed_ends_as_uninterrupted(world, tmp_path,
                                                                        chain):
    out = tmp_path / "out"
    # The uninterrupted reference run's OUTPUT_DIR: its completed run must stay as it is
    # (the same command trains a new run beside it, which the stops interrupt).
    shutil.copytree(world["reference"], out, symlinks=True)
    reference_dir = out / "runs" / world["reference_run"]
    before = checksums(reference_dir)
    reference_log = (out / "log.txt").read_text()
    for step in CHAINS[chain]:
        published = step.endswith(" (published)")
        step = step.replace(" (published)", "")
        if step.startswith("SIGTERM:"):
            status, stderr = sigterm_when(world, out, step.split(":", 1)[1])
            assert status == 143, stderr[-2000:]
            log = (out / "log.txt").read_text()
            assert "interrupted (SIGTERM)" in log and "run the same command again" in log
        else:
            done = run(world, out, step)
            assert done.returncode == -signal.SIGKILL, (step, done.returncode,
                                                         done.stderr[-3000:])
        assert (results(out)["run"] != world["reference_run"]) == published
    done = run(world, out)
    assert done.returncode == 0, done.stderr[-3000:]
    log = (out / "log.txt").read_text()
    assert "Traceback" not in log and "Traceback" not in done.stderr
    # every epoch's loss, dev metrics, masses and retention configuration as logged (an
    # epoch is logged once saved: one whose process was killed in its save is not)
    logged, want = epoch_lines(log[len(reference_log):]), epoch_lines(reference_log)
    assert logged and all(line == want[key] for key, line in logged.items())
    if chain == "retrain":  # the last rerun only published the run
        assert "publishing it (nothing is trained again)" in done.stdout
        assert " epoch " not in done.stdout
    new_run = results(out)["run"]
    assert new_run != world["reference_run"]
    assert (out / "latest").resolve().name == new_run
    assert_equal_runs(out / "runs" / new_run, reference_dir)
    assert checksums(reference_dir) == before
    assert len(list((out / "runs").iterdir())) == 2  # every stop was resumed, not restarted
    assert not (out / ".lock").exists()
    leftovers = [str(p) for p in out.rglob("*") if re.search(r"\.(tmp|pending)\b|_temp", p.name)
                 or p.name.endswith(".resume")]
    assert not leftovers


@pytest.mark.slow
def test_leftovers_of_killed_writers_are_removed_on_resume(world, tmp_path):
    """What a writer killed in the middle leaves (TensorFlow's temporary checkpoint
    folder, a half-written pending checkpoint, a temporary JSON file) never stops the
    rerun, and the run still ends equal to the uninterrupted one."""
    out = tmp_path / "out"
    done = run(world, out, "search.resume/state.json:2")
    assert done.returncode == -signal.SIGKILL
    run_dir = next((out / "runs").iterdir())
    (run_dir / "search.resume" / "epoch-2_temp").mkdir()
    (run_dir / "search.resume" / "epoch-2_temp" / "part-00000-of-00001").write_bytes(b"x")
    (run_dir / "search.pending.hdf5").write_bytes(b"half an HDF5 file")
    (run_dir / "results.json.tmp").write_text("{")
    done = run(world, out)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "search: resuming after epoch 1/2" in done.stdout
    assert_equal_runs(run_dir, world["reference"] / "runs" / world["reference_run"])
    assert not list(run_dir.rglob("*_temp")) and not list(run_dir.rglob("*.tmp"))


@pytest.mark.slow
def test_a_completed_run_is_not_resumed_and_fresh_starts_over(world, tmp_path):
    """The same command after a completed run trains a new run; --FRESH never resumes; a
    run with other options beside an interrupted one says which run it leaves and why."""
    out = tmp_path / "out"
    shutil.copytree(world["reference"], out, symlinks=True)
    done = run(world, out, "search.resume/state.json:1", "--LAMBDA", "0.01")
    assert done.returncode == -signal.SIGKILL
    interrupted = [p.name for p in (out / "runs").iterdir() if p.name != world["reference_run"]]
    done = run(world, out, "search.resume/state.json:1", "--FRESH")
    assert done.returncode == -signal.SIGKILL
    assert "resuming run" not in done.stdout and "is not resumed" not in done.stdout
    assert len(list((out / "runs").iterdir())) == 3
    done = run(world, out, "search.resume/state.json:1")
    assert done.returncode == -signal.SIGKILL
    # the newest interrupted run (the --FRESH one, same options) is resumed
    assert "resuming run" in done.stdout
    done = run(world, out, "finetune.resume/state.json:1", "--LAMBDA", "0.2")
    note = [line for line in done.stdout.splitlines() if "is not resumed" in line]
    assert len(note) == 1 and "--LAMBDA 0.05 -> 0.2" in note[0], done.stdout[-3000:]
    assert interrupted[0] not in note[0]  # the newest interrupted run is named


@pytest.mark.slow
def test_a_diverged_run_is_marked_failed_and_not_resumed(world, tmp_path):
    out = tmp_path / "out"
    done = run(world, out, None, "--LR_BERT", "1e30")
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert done.returncode == 2 and len(errors) == 1, done.stderr[-2000:]
    state = json.loads(next((out / "runs").glob("*/run.json")).read_text())
    assert state["status"] == "failed" and "became" in state["error"]
    log = (out / "log.txt").read_text()
    assert "error: the training loss" in log and "failed (it will not be resumed)" in log
