"""Resume cases beside the kill chains of test_resume.py: leftovers of killed writers,
completed runs not resumed, --FRESH, a run of other options beside an interrupted one, a
diverged run marked failed. The world: tests/resume_world.py."""
import json
import shutil
import signal

import pytest

from helpers.resume_world import assert_equal_runs, make_world, run


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    return make_world(tmp_path_factory.mktemp("resume"))


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
