"""Exact resume: a training process stopped at any point (kill -9 at the commit steps of
each stage, SIGTERM) and run again with the same command ends with every stage's weights
bitwise equal to an uninterrupted run's, and the same per-epoch dev metrics, masses,
retention configuration and test predictions; a completed run in the same OUTPUT_DIR is
never touched. Beside the chains: leftovers of killed writers, completed runs not
resumed, --FRESH, a run of other options beside an interrupted one, a diverged run marked
failed. The world and the kill hook: tests/helpers/resume_world.py (built once, shared by
every test here).

CI runs one chain of stops through all three stages and the publication; the chains that
stop at every commit step of each stage run with POWER_BERT_TEST_EVERY_KILL=1 (about 8
minutes more on 2 cores).
"""
import json
import os
import re
import shutil
import signal

import pytest

from helpers.resume_world import (STAGES, assert_equal_runs, checksums, epoch_lines, make_world,
                          results, run, sigterm_when)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp("resume"))


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
    # every input file is in the run's fingerprint, the test file too (a resumed run must
    # not predict an edited one)
    state = json.loads((world["reference"] / "latest" / "run.json").read_text())
    assert {"train", "dev", "test", "vocab", "bert_config", "checkpoint"} <= set(state["inputs"])


# Each chain stops the same command again and again at the named points, then lets it
# finish; every stop must have happened (a point that is never reached fails the test).
# Counts are per process: a resumed process counts from its own start. "(published)":
# the stop comes after the run was published.
EVERY_KILL = {
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


# One chain through every stage and the publication (what CI runs).
CHAINS = {
    "all-stages": [
        "finetune.json:1",                 # epoch 1: weights renamed, metadata pending
        "finetune.resume/state.json:1",    # the rerun's epoch 2, before its commit point
        "SIGTERM:search epoch 1/2",        # SIGTERM in the middle of the search
        "search.hdf5:1",                   # epoch 2 committed, its weights still pending
        "retrain.resume/state.json:1",     # retrain's epoch 1, before its commit point
        "latest:1",                        # complete; killed before the link
    ],
}
if os.environ.get("POWER_BERT_TEST_EVERY_KILL"):
    CHAINS.update(EVERY_KILL)


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
    if CHAINS[chain][-1].startswith(("latest", "run.json:1 (published)")):
        # the last rerun only published the run
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


# ----- resume cases beside the chains --------------------------------------------------
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
    stop = "finetune.resume/state.json:1"  # (the first commit point of a run)
    done = run(world, out, stop, "--LAMBDA", "0.01")
    assert done.returncode == -signal.SIGKILL
    first = [p.name for p in (out / "runs").iterdir() if p.name != world["reference_run"]]
    done = run(world, out, stop, "--FRESH")
    assert done.returncode == -signal.SIGKILL
    assert "resuming run" not in done.stdout and "is not resumed" not in done.stdout
    assert len(list((out / "runs").iterdir())) == 3  # not the completed run: a new one
    fresh = sorted(p.name for p in (out / "runs").iterdir())[-1]
    done = run(world, out, stop)  # the newest interrupted run of the same options
    assert done.returncode == -signal.SIGKILL
    assert "resuming run %s" % fresh in done.stdout
    done = run(world, out, stop, "--LAMBDA", "0.2")
    assert done.returncode == -signal.SIGKILL
    note = [line for line in done.stdout.splitlines() if "is not resumed" in line]
    assert len(note) == 1, done.stdout[-3000:]
    assert fresh in note[0] and first[0] not in note[0]  # the newest interrupted run
    assert "--LAMBDA 0.05 -> 0.2" in note[0]


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
