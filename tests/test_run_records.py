"""What a run leaves on record: error lines, tracebacks and signals in log.txt; a new run
beside an interrupted one says which run it leaves and what differs; a complete run
whose publication was interrupted is published, not trained again; the test hook that
kills the process at a commit step."""
import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from power_bert import cli, outputs
from power_bert.documents import RunResults
from power_bert.errors import UsageError
from power_bert.options import Options, recorded_flag, result_options
from power_bert.outputs import RunFolder, RunRecord, fingerprint

ROOT = Path(__file__).resolve().parents[1]
OPTIONS = {"task": "demo", "lam": 0.05, "epochs": 2}
INPUTS = {"train": ["aa"], "dev": ["bb"], "test": ["cc"], "vocab": "dd"}


def test_error_lines_and_tracebacks_reach_the_log(tmp_path, capsys):
    record = RunRecord(str(tmp_path))

    def fails_with(exception):
        def run(args):
            record.log("started")
            raise exception
        return run

    assert cli.run_guarded(fails_with(UsageError("--LAMBDA: bad")), None) == 2
    with pytest.raises(RuntimeError):
        cli.run_guarded(fails_with(RuntimeError("a bug")), None)
    assert cli.run_guarded(fails_with(KeyboardInterrupt()), None) == 130
    log = (tmp_path / "log.txt").read_text()
    assert "] error: --LAMBDA: bad" in log
    assert "unexpected error" in log and "RuntimeError: a bug" in log and "Traceback" in log
    assert "interrupted (Ctrl-C)" in log
    # a command that wrote no log (of its own) adds nothing to an earlier one's
    assert cli.run_guarded(lambda args: (_ for _ in ()).throw(UsageError("x")), None) == 2
    assert log == (tmp_path / "log.txt").read_text()
    capsys.readouterr()


def test_sigterm_exits_143_with_a_note(tmp_path):
    code = """
import os, signal, time
from power_bert import cli, outputs
record = outputs.RunRecord(os.environ["OUT"])
def run(args):
    record.log("working")
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(10)
raise SystemExit(cli.run_guarded(run, None))
"""
    out = tmp_path
    done = subprocess.run([sys.executable, "-c", code], cwd=str(ROOT), timeout=120,
                          env=dict(os.environ, OUT=str(out)), capture_output=True, text=True,
                          preexec_fn=lambda: signal.signal(signal.SIGTERM, signal.SIG_DFL))
    assert done.returncode == 143, done.stderr[-2000:]
    assert "interrupted (SIGTERM)" in (out / "log.txt").read_text()


def write_run(output_dir: Path, run_id: str, options, inputs, status="running", **extra):
    path = output_dir / "runs" / run_id
    path.mkdir(parents=True)
    state = {"id": run_id, "hash": outputs.fingerprint(options, inputs), "status": status,
             "started": "2026-12-01T10:00:00", "options": options, "inputs": inputs,
             "stages": {}, **extra}
    (path / "run.json").write_text(json.dumps(state))
    (path / "results.json").write_text(json.dumps({"task": "demo"}))
    return path


def test_a_new_run_beside_an_interrupted_one_says_what_differs(tmp_path):
    write_run(tmp_path, "20261201-100000-aaaa", OPTIONS, INPUTS)
    options = dict(OPTIONS, lam=0.1)
    inputs = dict(INPUTS, test=["changed"])
    run, resumed, notes = RunFolder.open(str(tmp_path), options, inputs, fresh=False,
                                         flag_of=recorded_flag)
    assert not resumed and run.id != "20261201-100000-aaaa"
    assert len(notes) == 1
    assert "20261201-100000-aaaa" in notes[0] and "--LAMBDA 0.05 -> 0.1" in notes[0]
    assert "input test changed" in notes[0] and "input train" not in notes[0]
    # the same options and inputs: resumed, nothing to say
    again, resumed, notes = RunFolder.open(str(tmp_path), options, inputs, fresh=False)
    assert resumed and again.id == run.id and notes == []


def test_failed_runs_are_not_resumed_and_unpublished_runs_are_found(tmp_path):
    write_run(tmp_path, "20261201-100000-aaaa", OPTIONS, INPUTS, status="failed")
    assert RunFolder.find(str(tmp_path), OPTIONS, INPUTS, complete=False) is None
    write_run(tmp_path, "20261201-110000-bbbb", OPTIONS, INPUTS, status="complete",
              published=False)
    found = RunFolder.find_unpublished(str(tmp_path), OPTIONS, INPUTS)
    assert found is not None and found.id == "20261201-110000-bbbb"
    found.complete(RunResults(task="demo"))
    assert json.loads((tmp_path / "results.json").read_text())["run"] == found.id
    assert os.readlink(str(tmp_path / "latest")) == os.path.join("runs", found.id)
    assert RunFolder.find_unpublished(str(tmp_path), OPTIONS, INPUTS) is None
    # a complete run of an earlier release (no "published" key) is published already
    write_run(tmp_path, "20261201-120000-cccc", OPTIONS, INPUTS, status="complete")
    assert RunFolder.find_unpublished(str(tmp_path), OPTIONS, INPUTS) is None


def test_the_kill_hook_kills_before_the_named_commit_step(tmp_path):
    code = """
import sys
from power_bert.outputs import write_json_atomically
for i in range(3):
    write_json_atomically(sys.argv[1] + "/a/state.json", {"i": i})
    write_json_atomically(sys.argv[1] + "/b/state.json", {"i": i})
"""
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    done = subprocess.run([sys.executable, "-c", code, str(tmp_path)], cwd=str(ROOT),
                          env=dict(os.environ, **{outputs.KILL_BEFORE_ENV: "a/state.json:2"}),
                          timeout=60)
    assert done.returncode == -signal.SIGKILL
    assert json.loads((tmp_path / "a" / "state.json").read_text()) == {"i": 0}
    assert json.loads((tmp_path / "b" / "state.json").read_text()) == {"i": 0}
    assert (tmp_path / "a" / "state.json.tmp").exists()  # what a killed writer leaves


def test_the_run_fingerprint_of_fixed_options_is_what_earlier_versions_computed(tmp_path):
    """A run folder started before the options' renames (``lam`` -> ``lambda_``) is
    still found and resumed by the same command: its hash and recorded keys are
    unchanged. The literal is the hash the version before the renames computed for these
    options."""
    o = Options(task="rte", output_dir="out", epochs=2, batch_size=16, lr_bert=3e-5,
                lr_soft_extract=1.5e-3, lambda_=2.5e-3, cased=False, seed=7,
                max_train_examples=100, dynamic_padding=False, retention_configuration=[64, 32])
    options = result_options(o)
    assert options == {"task": "rte", "epochs": 2, "batch_size": 16, "lr_bert": 3e-5,
                       "lr_soft_extract": 1.5e-3, "lam": 2.5e-3, "cased": False, "seed": 7,
                       "max_train_examples": 100, "dynamic_padding": False}
    inputs = {"vocab": "ab", "train": ["cd"], "dev": ["ef"]}
    assert fingerprint(options, inputs) == "28925055a1"
    # run.json as that version wrote it (options under their recorded keys)
    folder = tmp_path / "runs" / "20261201-100000-28925055a1"
    folder.mkdir(parents=True)
    (folder / "run.json").write_text(json.dumps({
        "id": folder.name, "hash": "28925055a1", "status": "running",
        "started": "2026-12-01T10:00:00", "inputs": inputs, "stages": {},
        "options": {"task": "rte", "epochs": 2, "batch_size": 16, "lr_bert": 3e-5,
                    "lr_soft_extract": 1.5e-3, "lam": 2.5e-3, "cased": False, "seed": 7,
                    "max_train_examples": 100, "dynamic_padding": False}}))
    run, resumed, notes = RunFolder.open(str(tmp_path), options, inputs, fresh=False,
                                         flag_of=recorded_flag)
    assert resumed and run.id == folder.name and notes == []
