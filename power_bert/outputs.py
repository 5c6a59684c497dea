"""What a run writes, and the rules that keep one run from damaging another.

OUTPUT_DIR/
  log.txt                  appended to by every run, never truncated
  results.json             the latest completed training run's results (replaced only
                           when a training run completes; evaluations add an entry)
  runs/<id>/               one training run: <stage>.hdf5/.json, results.json,
                           run.json (options, input checksums, stage status), test
                           predictions (test_predictions.tsv or glue/<Task>.tsv), and
                           <stage>.resume/ while a stage is unfinished
  latest -> runs/<id>      the latest completed training run
  finetune.hdf5 -> latest/finetune.hdf5, and the other stage files likewise
  .lock                    held by the process training into OUTPUT_DIR

A run folder is named ``<YYYYmmdd-HHMMSS>-<hash of the options and inputs>``. Running
the same command again after an interruption resumes the newest unfinished run with the
same hash; a completed run's folder is never written to again.
"""
import datetime
import glob
import hashlib
import json
import contextlib
import dataclasses
import fnmatch
import os
import shutil
import signal
import socket
import sys
import tempfile
from typing import Callable, Dict, Iterator, List, Optional, Sequence, Tuple, Type

from power_bert.documents import RESULTS_FILE, RunResults
from power_bert.errors import PowerBertError, RunLocked, UsageError

RUNS = "runs"
LATEST = "latest"
LOCK = ".lock"
STAGE_FILES = ("finetune.hdf5", "finetune.json", "search.hdf5", "search.json",
               "retrain.hdf5", "retrain.json")


# Test hook (the fault-injection tests): "<name>:<n>" makes the process kill itself
# (SIGKILL) just before the n-th commit step on a path that ends with "/<name>".
KILL_BEFORE_ENV = "POWER_BERT_TEST_KILL_BEFORE"
_commit_steps: Dict[str, int] = {}


def commit_step(path: str):
    """Called just before each step that makes a written file valid under its final
    name (a rename, a link, the write of a resume state): the points where a kill must
    leave something a rerun can finish or discard. Does nothing unless the test hook
    ``POWER_BERT_TEST_KILL_BEFORE`` names ``path`` (see ``KILL_BEFORE_ENV``)."""
    target = os.environ.get(KILL_BEFORE_ENV)
    if not target:
        return
    name, _, count = target.rpartition(":")
    if not (path == name or path.endswith(os.sep + name)):
        return
    _commit_steps[name] = _commit_steps.get(name, 0) + 1
    if _commit_steps[name] == int(count):
        sys.stdout.flush()
        sys.stderr.flush()
        os.kill(os.getpid(), signal.SIGKILL)


def write_json_atomically(path: str, data: Dict, sort_keys: bool = False):
    """Writes ``data`` as indented JSON to ``path`` through a temporary file (flushed to
    disk, then renamed over ``path``: a reader sees the old file or the new one); the
    one writer of the package's JSON files. ``sort_keys``: keys in sorted order (as
    ``bert_config.json`` has them), else in the order of ``data``.

    Raises:
      UsageError: the file cannot be written (no permission, full disk), naming it;
        no temporary file is left behind.
    """
    tmp = path + ".tmp"
    try:
        with open(tmp, "w", encoding="utf-8") as writer:
            json.dump(data, writer, indent=2, sort_keys=sort_keys)
            writer.write("\n")
            writer.flush()
            os.fsync(writer.fileno())
        commit_step(path)
        os.replace(tmp, path)
    except OSError as e:
        raise UsageError("cannot write %s: %s" % (path, e.strerror or e)) from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)


def markdown_table_lines(header: Sequence[str], rows: Sequence[Sequence[str]],
                         align: str = "") -> List[str]:
    """The one Markdown table writer: a header row, the alignment row and one row per
    entry of ``rows``, cells between " | ".

    Args:
      header: the column titles.
      rows: the cells of each row (strings), as many as ``header``.
      align: one letter per column, "l" (left) or "r" (right, for numbers); columns
        beyond it are left-aligned.

    Returns:
      The table's lines, without line ends.

    Raises:
      ValueError: a row with another number of cells than ``header``, or an ``align``
        letter other than l and r.
    """
    if set(align) - set("lr"):
        raise ValueError("align takes the letters l and r, got %r" % align)
    marks = ["---:" if letter == "r" else "---" for letter in align.ljust(len(header), "l")]
    lines = ["| %s |" % " | ".join(header), "|%s|" % "|".join(marks[:len(header)])]
    for row in rows:
        if len(row) != len(header):
            raise ValueError("a row of %d cells in a table of %d columns: %r"
                             % (len(row), len(header), row))
        lines.append("| %s |" % " | ".join(row))
    return lines


def umask() -> int:
    """The process's file mode creation mask (read by setting it and back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_bytes_atomically(path: str, data: bytes) -> None:
    """Writes ``data`` to ``path`` through a temporary file in the same folder (created
    if needed), renamed over it: an interruption never leaves a partial file under the
    final name. The file gets the mode a plain ``open(path, "w")`` gives a new file
    (0o666 less the umask), not mkstemp's 0o600. OSError propagates; the temporary file
    is removed."""
    folder = os.path.dirname(os.path.abspath(path))
    os.makedirs(folder, exist_ok=True)
    handle, temp_path = tempfile.mkstemp(dir=folder, prefix="." + os.path.basename(path),
                                         suffix=".tmp")
    try:
        os.fchmod(handle, 0o666 & ~umask())
        with os.fdopen(handle, "wb") as out:
            out.write(data)
            out.flush()
            os.fsync(out.fileno())
        commit_step(path)
        os.replace(temp_path, path)
    except BaseException:
        if os.path.exists(temp_path):
            os.remove(temp_path)
        raise


def check_file_writable(path: str, flag: str):
    """Checks, before any work, that a file can be written at ``path`` as
    ``write_bytes_atomically`` writes it: not a folder, and the nearest existing folder on
    its way is a folder that this process can write (missing folders are created).

    Raises:
      UsageError: naming ``flag``, the path and why.
    """
    if os.path.isdir(path):
        raise UsageError("%s: %s is a folder, expected a file" % (flag, path))
    why = _unwritable(path)
    if why:
        raise UsageError("%s: cannot write %s: %s" % (flag, path, why))


def _unwritable(path: str) -> Optional[str]:
    """Why ``path`` cannot be created (its nearest existing folder is a file or not
    writable; missing folders are created), or None."""
    existing = os.path.dirname(os.path.abspath(path))
    while not os.path.exists(existing):
        existing = os.path.dirname(existing)
    if not os.path.isdir(existing):
        return "%s is a file, not a folder" % existing
    if not os.access(existing, os.W_OK | os.X_OK):
        return "the folder %s is not writable" % existing
    return None


def check_new_folder(output_dir: str, overwrite: bool, error: Type[PowerBertError],
                     earlier: Callable[[str], Optional[str]], what: str,
                     reads: Sequence[str] = ()) -> str:
    """The absolute path of a folder a command creates (``convert``, ``export``) through
    ``new_folder``, checked before any work: absent or empty, or with ``overwrite`` an
    earlier output of the same command, and never a folder that holds what the command
    reads.

    Args:
      output_dir: the folder (``--OUTPUT_DIR``).
      overwrite: ``--OVERWRITE`` was given.
      error: the command's error class.
      earlier: ``earlier(folder)`` is None when ``folder`` holds an earlier output of
        the command and nothing else, and otherwise says why not.
      what: the command's output, for messages ("export", "conversion").
      reads: the files and folders the command reads (symbolic links are resolved).

    Raises:
      error: the path is a file; the nearest existing folder on its way is a file or not
        writable; a non-empty folder without ``overwrite``; with it, a folder that holds
        (or is inside) something in ``reads``, or that is not an earlier output.
        Nothing is deleted.
    """
    out = os.path.abspath(output_dir)
    if os.path.exists(out) and not os.path.isdir(out):
        raise error("OUTPUT_DIR %s exists and is not a folder" % out)
    why = _unwritable(out)
    if why:
        raise error("OUTPUT_DIR %s cannot be created: %s" % (out, why))
    if not os.path.isdir(out) or not os.listdir(out):
        return out
    if not overwrite:
        raise error("OUTPUT_DIR %s exists and is not empty; pass --OVERWRITE to replace it"
                    % out)
    for read in reads:
        for folder, path in ((out, os.path.abspath(read)),
                             (os.path.realpath(out), os.path.realpath(read))):
            if path == folder or path.startswith(folder + os.sep):
                raise error("OUTPUT_DIR %s holds %s, which this command reads; --OVERWRITE "
                            "would delete it: give another OUTPUT_DIR" % (out, read))
            if os.path.isdir(path) and folder.startswith(path + os.sep):
                raise error("OUTPUT_DIR %s is inside %s, which this command reads; give "
                            "another OUTPUT_DIR" % (out, read))
    why = earlier(out)
    if why is not None:
        raise error("OUTPUT_DIR %s is not an earlier %s (%s); --OVERWRITE replaces only an "
                    "empty folder or an earlier %s: give another OUTPUT_DIR, or empty it "
                    "yourself" % (out, what, why, what))
    return out


def entries_besides(folder: str, expected: Sequence[str]) -> Optional[str]:
    """None when every entry of ``folder`` matches one of the ``expected`` names
    (``fnmatch`` patterns), else "it also holds <the others>"."""
    others = sorted(name for name in os.listdir(folder)
                    if not any(fnmatch.fnmatchcase(name, pattern) for pattern in expected))
    if not others:
        return None
    shown = ", ".join(others[:5]) + (", ..." if len(others) > 5 else "")
    return "it also holds %s" % shown


@contextlib.contextmanager
def new_folder(out: str) -> Iterator[str]:
    """Yields a temporary sibling folder of ``out`` to write into; renames it to ``out``
    when the block ends without an exception (replacing what was there), and removes it
    otherwise, so a failure leaves ``out`` as it was."""
    parent = os.path.dirname(out)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=".%s.tmp-" % os.path.basename(out), dir=parent)
    os.chmod(tmp, 0o777 & ~umask())  # mkdtemp makes it 0700; give the usual folder mode
    try:
        yield tmp
        if os.path.exists(out):
            old = tempfile.mkdtemp(prefix=".%s.old-" % os.path.basename(out), dir=parent)
            os.rmdir(old)
            os.rename(out, old)
            os.rename(tmp, out)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def read_json(path: str) -> Optional[Dict]:
    """The JSON object in ``path``, or None when it is absent or unreadable."""
    try:
        with open(path, "r", encoding="utf-8") as reader:
            data = json.load(reader)
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def now() -> str:
    return datetime.datetime.now().isoformat(timespec="seconds")


class RunRecord:
    """``OUTPUT_DIR/log.txt`` (timestamped lines, also printed) and a results.json
    (merged entries, rewritten atomically)."""

    def __init__(self, output_dir: str, results_path: Optional[str] = None):
        self.output_dir = output_dir
        self.log_path = os.path.join(output_dir, "log.txt")
        self.results_path = results_path or os.path.join(output_dir, RESULTS_FILE)

    def open(self, options: Dict):
        """Creates OUTPUT_DIR and starts a run's section of the log."""
        try:
            os.makedirs(self.output_dir, exist_ok=True)
        except OSError as e:
            raise UsageError("--OUTPUT_DIR: cannot create %s: %s"
                             % (self.output_dir, e.strerror or e)) from None
        self.log("=" * 78)
        self.log("power_bert run: %s" % " ".join(sys.argv))
        self.log("options: %s" % json.dumps(options, sort_keys=True))

    def log(self, message: str):
        try:
            _append_log(self.log_path, message)
        except OSError as e:
            raise UsageError("cannot write %s: %s" % (self.log_path, e.strerror or e)) from None
        _active_log["path"] = self.log_path
        print(message, flush=True)

    def results(self) -> RunResults:
        """The current results (empty when the file is absent or unreadable)."""
        return RunResults.read(self.results_path)

    def update(self, **entries) -> RunResults:
        """Sets ``entries`` (``RunResults`` fields) in the results file (atomically) and
        returns the results."""
        results = dataclasses.replace(self.results(), updated=now(), **entries)
        write_json_atomically(self.results_path, results.to_json())
        return results


_active_log: Dict[str, Optional[str]] = {"path": None}


def _append_log(path: str, message: str):
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M:%S")
    with open(path, "a", encoding="utf-8") as writer:
        for line in str(message).splitlines() or [""]:
            writer.write("[%s] %s\n" % (stamp, line))


def forget_active_log():
    """Starts a command: no log.txt written to yet."""
    _active_log["path"] = None


def log_to_active(message: str):
    """Appends ``message`` (not printed) to the log.txt the command last wrote to, if
    any: the command line's ``error:`` lines, tracebacks and signals reach the log of
    the run they ended. Never raises."""
    if _active_log["path"]:
        try:
            _append_log(_active_log["path"], message)
        except OSError:
            pass


def fingerprint(options: Dict, inputs: Dict[str, str]) -> str:
    """A short hash of what decides a training run's result: its options and the
    checksums of its input files."""
    text = json.dumps({"options": options, "inputs": inputs}, sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:10]


class RunFolder:
    """``OUTPUT_DIR/runs/<id>/`` of one training run and its ``run.json``."""

    def __init__(self, output_dir: str, run_id: str):
        self.output_dir = output_dir
        self.id = run_id
        self.path = os.path.join(output_dir, RUNS, run_id)
        self.state_path = os.path.join(self.path, "run.json")

    @classmethod
    def open(cls, output_dir: str, options: Dict, inputs: Dict[str, str], fresh: bool,
             flag_of=lambda name: "--" + name.upper()
             ) -> Tuple["RunFolder", bool, List[str]]:
        """The newest unfinished run with the same options and inputs (resumed), or a new
        one (``fresh``, or none to resume). Returns (the run, whether it is resumed, notes
        for the log: an interrupted run of other options or inputs that is not resumed,
        and what differs; ``flag_of`` names an option)."""
        digest = fingerprint(options, inputs)
        if not fresh:
            unfinished = cls.find(output_dir, options, inputs, complete=False)
            if unfinished is not None:
                return unfinished, True, []
        notes = [] if fresh else cls._not_resumed(output_dir, options, inputs, flag_of)
        run_id = "%s-%s" % (datetime.datetime.now().strftime("%Y%m%d-%H%M%S"), digest)
        run = cls(output_dir, run_id)
        suffix = 1
        while os.path.exists(run.path):  # two runs within one second
            suffix += 1
            run = cls(output_dir, "%s-%d" % (run_id, suffix))
        try:
            os.makedirs(run.path)
        except OSError as e:
            raise UsageError("--OUTPUT_DIR: cannot create %s: %s" % (run.path, e.strerror or e)
                             ) from None
        run.write_state({"id": run.id, "hash": digest, "status": "running", "started": now(),
                         "options": options, "inputs": inputs, "stages": {}})
        return run, False, notes

    @classmethod
    def _not_resumed(cls, output_dir: str, options: Dict, inputs: Dict, flag_of) -> List[str]:
        """One line about the newest interrupted run in ``output_dir`` (of other options
        or inputs, since it is not resumed): which run, and what differs."""
        for state_path in sorted(glob.glob(os.path.join(output_dir, RUNS, "*", "run.json")),
                                 reverse=True):
            state = read_json(state_path)
            if not state or state.get("status") != "running":
                continue
            differs = ["%s %s -> %s" % (flag_of(name),
                                        json.dumps(state.get("options", {}).get(name)),
                                        json.dumps(options.get(name)))
                       for name in sorted(set(options) | set(state.get("options", {})))
                       if options.get(name) != state.get("options", {}).get(name)]
            differs += ["input %s changed" % name
                        for name in sorted(set(inputs) | set(state.get("inputs", {})))
                        if inputs.get(name) != state.get("inputs", {}).get(name)]
            return ["note: the interrupted run %s (started %s) is not resumed: it differs in "
                    "%s; run its own command again to resume it"
                    % (state.get("id"), state.get("started"), "; ".join(differs) or "its hash")]
        return []

    @classmethod
    def find(cls, output_dir: str, options: Dict, inputs: Dict[str, str], complete: bool
             ) -> Optional["RunFolder"]:
        """The newest complete (or, with ``complete`` False, unfinished: interrupted, not
        failed) run of these options and inputs in ``output_dir``, or None."""
        digest = fingerprint(options, inputs)
        for state_path in sorted(glob.glob(os.path.join(output_dir, RUNS, "*", "run.json")),
                                 reverse=True):
            state = read_json(state_path)
            if not state or state.get("hash") != digest:
                continue
            status = state.get("status")
            if (status == "complete") if complete else (status == "running"):
                return cls(output_dir, os.path.basename(os.path.dirname(state_path)))
        return None

    @classmethod
    def find_unpublished(cls, output_dir: str, options: Dict, inputs: Dict[str, str]
                         ) -> Optional["RunFolder"]:
        """A complete run of these options and inputs whose publication (``complete``)
        was interrupted, or None."""
        run = cls.find(output_dir, options, inputs, complete=True)
        if run is not None and run.state().get("published", True) is False:
            return run
        return None

    def state(self) -> Dict:
        return read_json(self.state_path) or {}

    def write_state(self, state: Dict):
        write_json_atomically(self.state_path, state)

    def mark_stage(self, stage: str, weights_sha256: str, epoch: int):
        """Records that ``stage`` finished (its kept checkpoint's checksum and epoch)."""
        state = self.state()
        state.setdefault("stages", {})[stage] = {"weights_sha256": weights_sha256,
                                                 "epoch": epoch, "finished": now()}
        self.write_state(state)

    def finished_stages(self) -> Dict[str, Dict]:
        return dict(self.state().get("stages", {}))

    def link_given(self, name: str, weights_path: str):
        """Makes ``<name>.hdf5/.json`` of this run point at a given checkpoint (e.g. the
        fine-tuned model of --FINETUNED_CHECKPOINT), resolved to its real files."""
        base = os.path.splitext(os.path.realpath(weights_path))[0]
        for suffix in (".hdf5", ".json"):
            link = os.path.join(self.path, name + suffix)
            if not os.path.lexists(link):
                os.symlink(base + suffix, link)

    def remove_leftovers(self):
        """Removes the temporary files of writers killed in the middle (``*.tmp``) from
        the run folder (a resumed run writes them anew)."""
        for name in os.listdir(self.path):
            path = os.path.join(self.path, name)
            if name.endswith(".tmp") and (os.path.isfile(path) or os.path.islink(path)):
                os.remove(path)

    def mark_failed(self, error: str):
        """Records that the run failed (a diverged loss): it is not resumed."""
        state = self.state()
        state.update(status="failed", failed=now(), error=error)
        self.write_state(state)

    def complete(self, results: RunResults) -> list:
        """Marks the run complete (the commit point: it is never trained again) and
        publishes it: ``latest``, the top-level results.json and links to the stage files;
        the run is marked published last, so a rerun after a kill in between publishes it
        (``find_unpublished``). Returns notes for the log."""
        state = self.state()
        if state.get("status") != "complete":
            state.update(status="complete", finished=now(), published=False)
            self.write_state(state)
        notes = []
        try:
            tmp = os.path.join(self.output_dir, LATEST + ".tmp")
            if os.path.lexists(tmp):
                os.remove(tmp)
            os.symlink(os.path.join(RUNS, self.id), tmp)
            commit_step(os.path.join(self.output_dir, LATEST))
            os.replace(tmp, os.path.join(self.output_dir, LATEST))
            for name in STAGE_FILES:
                link = os.path.join(self.output_dir, name)
                if not os.path.lexists(link):
                    commit_step(link)
                    os.symlink(os.path.join(LATEST, name), link)
                elif not os.path.islink(link):
                    notes.append("%s is a file of an earlier release's run: left as it is; this "
                                 "run's is %s" % (link, os.path.join(self.path, name)))
        except OSError as e:
            raise UsageError("cannot publish run %s in %s: %s"
                             % (self.id, self.output_dir, e.strerror or e)) from None
        write_json_atomically(os.path.join(self.output_dir, RESULTS_FILE), dataclasses.replace(
            results, run=self.id, run_dir=self.path).to_json())
        state = self.state()
        state["published"] = True
        self.write_state(state)
        return notes


class OutputLock:
    """``OUTPUT_DIR/.lock``: one training at a time per OUTPUT_DIR. A lock left by a
    process that no longer runs (on the same host) is taken over."""

    def __init__(self, output_dir: str):
        self.path = os.path.join(output_dir, LOCK)
        self.note = None

    def __enter__(self):
        try:
            os.makedirs(os.path.dirname(self.path), exist_ok=True)
        except OSError as e:
            raise UsageError("--OUTPUT_DIR: cannot create %s: %s"
                             % (os.path.dirname(self.path), e.strerror or e)) from None
        record = {"pid": os.getpid(), "host": socket.gethostname(), "started": now(),
                  "command": " ".join(sys.argv)}
        for _ in range(2):
            try:
                handle = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                holder = read_json(self.path) or {}
                if _alive(holder):
                    raise RunLocked(
                        "OUTPUT_DIR %s is in use: process %s (started %s) is training into "
                        "it; wait for it to finish or stop it (lock file %s)"
                        % (os.path.dirname(self.path), holder.get("pid"),
                           holder.get("started"), self.path)) from None
                self.note = ("took over the lock of process %s (started %s), which no longer "
                             "runs" % (holder.get("pid"), holder.get("started")))
                os.remove(self.path)
                continue
            except OSError as e:
                raise UsageError("--OUTPUT_DIR: cannot write %s: %s"
                                 % (self.path, e.strerror or e)) from None
            with os.fdopen(handle, "w", encoding="utf-8") as writer:
                json.dump(record, writer)
            return self
        raise RunLocked("cannot take the lock %s" % self.path)

    def __exit__(self, *exc):
        holder = read_json(self.path) or {}
        if holder.get("pid") == os.getpid() and os.path.exists(self.path):
            os.remove(self.path)
        return False


def _alive(holder: Dict) -> bool:
    """Whether the process that holds a lock still runs."""
    if holder.get("host") not in (None, socket.gethostname()):
        return True  # another machine (a shared file system): assume it runs
    pid = holder.get("pid")
    if not isinstance(pid, int) or isinstance(pid, bool):
        return False  # an unreadable lock file
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
