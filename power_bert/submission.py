"""GLUE test-set predictions in the form the GLUE server accepts.

Each task with a GLUE name gets ``OUTPUT_DIR/glue/<GLUE name>.tsv`` (CoLA.tsv,
SST-2.tsv, ..., MNLI-m.tsv, MNLI-mm.tsv, ..., AX.tsv): a header
``index<TAB>prediction``, then one row per test example in file order with the
task's label strings (the labels of its files: "0"/"1", "entailment"/
"not_entailment", "contradiction"/"entailment"/"neutral") or, for regression,
the score clipped to the task's range with 3 decimals.

The command line gathers those files from one or more output folders into one
zip with the files at its root:

    power-bert submit --OUTPUT_DIR output_cola output_mnli-m ... --ZIP submission.zip
"""
import os
import sys
import zipfile
from typing import Dict, List, Sequence, Tuple

import numpy as np
from numpy.typing import ArrayLike

from power_bert.errors import SubmissionError
from power_bert.outputs import write_bytes_atomically
from power_bert.tasks import GLUE_SUBMISSION_NAMES, get_task

HEADER = "index\tprediction"
SUBMISSION_FOLDER = "glue"


def submission_path(task, output_dir: str) -> str:
    """Where ``write_glue_predictions`` puts a task's file.

    Args:
      task: task name or TaskSpec.
      output_dir: the run's output folder.

    Returns:
      ``output_dir/glue/<glue_name>.tsv``.

    Raises:
      ValueError: the task has no GLUE submission.
    """
    task = get_task(task)
    if task.glue_name is None:
        raise ValueError("Task %s has no GLUE submission file; tasks with one: %s"
                         % (task.name, ", ".join(GLUE_SUBMISSION_NAMES)))
    return os.path.join(os.fspath(output_dir), SUBMISSION_FOLDER, task.glue_name + ".tsv")


def format_predictions(task, predictions: ArrayLike) -> List[str]:
    """Turn model outputs into the strings of the submission's prediction column.

    Args:
      task: task name or TaskSpec.
      predictions: class probabilities or logits [N, C] (argmax is taken) or
        class indices [N] (integers); for regression, scores [N] or [N, 1].

    Returns:
      N strings: label strings, or scores clipped to ``task.score_range``
      written with 3 decimals.

    Raises:
      ValueError: wrong shape, NaN, or a class index out of range.
    """
    task = get_task(task)
    values = np.asarray(predictions)
    if task.is_regression:
        if values.ndim == 2 and values.shape[1] == 1:
            values = values[:, 0]
        if values.ndim != 1 or not np.issubdtype(values.dtype, np.number):
            raise ValueError("%s predictions must be scores [N] or [N, 1], got %s %s"
                             % (task.name, values.dtype, values.shape))
        if not np.all(np.isfinite(values)):
            raise ValueError("%s predictions contain NaN or infinite scores" % task.name)
        low, high = task.score_range
        # "+ 0.0" turns -0.0 into 0.0 so no "-0.000" is written.
        return ["%.3f" % (score + 0.0) for score in np.clip(values.astype(np.float64), low, high)]

    if values.ndim == 2:
        if values.shape[1] != task.num_labels:
            raise ValueError("%s has %d classes but predictions have shape %s"
                             % (task.name, task.num_labels, values.shape))
        if not np.all(np.isfinite(values)):
            raise ValueError("%s predictions contain NaN or infinite values" % task.name)
        classes = np.argmax(values, axis=1)
    elif values.ndim == 1 and (values.size == 0 or np.issubdtype(values.dtype, np.integer)):
        classes = values
        if np.any((classes < 0) | (classes >= task.num_labels)):
            raise ValueError("%s class indices must be in [0, %d)" % (task.name, task.num_labels))
    else:
        raise ValueError("%s predictions must be probabilities [N, %d] or integer class "
                         "indices [N], got %s %s"
                         % (task.name, task.num_labels, values.dtype, values.shape))
    return [task.labels[i] for i in classes]


def write_glue_predictions(task, guids: Sequence[str], predictions: ArrayLike,
                           output_dir: str) -> str:
    """Write a task's GLUE submission file, atomically.

    The file is written to a temporary name in the same folder and renamed
    over the target, so an interruption never leaves a partial file.

    Args:
      task: task name or TaskSpec (its glue_name names the file).
      guids: test example ids (the test file's index column), in file order.
      predictions: see ``format_predictions``; one per guid.
      output_dir: the run's output folder; ``glue/`` is created in it.

    Returns:
      Path of the written ``<glue_name>.tsv``.

    Raises:
      ValueError: the task has no GLUE name, lengths differ, a guid is empty
        or contains a tab or newline, or the predictions are malformed.
    """
    return write_predictions(task, guids, predictions, submission_path(task, output_dir))


def write_predictions(task, guids: Sequence[str], predictions: ArrayLike, path: str) -> str:
    """Write test predictions in the submission layout to any path, atomically.

    Same content as ``write_glue_predictions`` but for tasks without a GLUE
    name too (the demo task) and to a path of the caller's choice.

    Args:
      task: task name or TaskSpec.
      guids: test example ids, in file order.
      predictions: see ``format_predictions``; one per guid.
      path: the file to write (its folder is created).

    Returns:
      ``path``.

    Raises:
      ValueError: lengths differ, a guid is empty or has a tab or newline, or
        the predictions are malformed.
    """
    task = get_task(task)
    values = format_predictions(task, predictions)
    guids = [str(g) for g in guids]
    if len(guids) != len(values):
        raise ValueError("%s: %d guids but %d predictions" % (task.name, len(guids), len(values)))
    for guid in guids:
        if not guid or any(c in guid for c in "\t\r\n"):
            raise ValueError("%s: bad guid %r (empty, or has a tab or newline)"
                             % (task.name, guid))
    lines = [HEADER] + ["%s\t%s" % pair for pair in zip(guids, values)]
    write_bytes_atomically(path, ("\n".join(lines) + "\n").encode("utf-8"))
    return path


def collect_submission_files(output_dirs: Sequence[str]
                             ) -> Tuple[Dict[str, str], List[str]]:
    """Find the GLUE prediction files in output folders.

    Each folder's ``glue/`` and ``latest/glue/`` subfolders are searched (or the
    folder itself when it has neither). Only the eleven GLUE file names count; the same name
    found twice is accepted if the contents are identical.

    Args:
      output_dirs: output folders of runs.

    Returns:
      (file name -> path, notes): the files to zip, and human-readable notes
      about folders without files and ignored files.

    Raises:
      SubmissionError: two different files with the same name, a file whose
        first line is not the ``index<TAB>prediction`` header, or a folder that
        does not exist.
    """
    known = {name + ".tsv" for name in GLUE_SUBMISSION_NAMES}
    found: Dict[str, str] = {}
    notes: List[str] = []
    for output_dir in output_dirs:
        if not os.path.isdir(output_dir):
            raise SubmissionError("%s is not a folder" % output_dir)
        for folder in _prediction_folders(output_dir):
            _collect_folder(folder, known, found, notes)
    return found, notes


def _prediction_folders(output_dir: str) -> List[str]:
    """Where a run folder keeps GLUE files: ``glue/`` (prediction with a trained model)
    and ``latest/glue/`` (the latest training run), or the folder itself."""
    folders = [os.path.join(output_dir, SUBMISSION_FOLDER),
               os.path.join(output_dir, "latest", SUBMISSION_FOLDER)]
    return [f for f in folders if os.path.isdir(f)] or [output_dir]


def _collect_folder(folder: str, known, found: Dict[str, str], notes: List[str]):
    names = sorted(n for n in os.listdir(folder) if n.endswith(".tsv"))
    ignored = [n for n in names if n not in known]
    if ignored:
        notes.append("ignored in %s: %s (not a GLUE file name)" % (folder, ", ".join(ignored)))
    names = [n for n in names if n in known]
    if not names:
        notes.append("no GLUE prediction file in %s" % folder)
    for name in names:
        path = os.path.join(folder, name)
        _check_header(path)
        if name in found:
            if not _same_contents(found[name], path):
                raise SubmissionError("two different %s: %s and %s; keep one"
                                      % (name, found[name], path))
            notes.append("%s: %s is identical to %s, used once" % (name, path, found[name]))
            continue
        found[name] = path


def _check_header(path: str) -> None:
    with open(path, "rb") as handle:
        first = handle.readline().rstrip(b"\r\n")
    if first != HEADER.encode("ascii"):
        raise SubmissionError("%s: first line is %r, the GLUE server expects %r"
                              % (path, first.decode("utf-8", "replace"), HEADER))


def _same_contents(path_a: str, path_b: str) -> bool:
    with open(path_a, "rb") as a, open(path_b, "rb") as b:
        return a.read() == b.read()


def write_submission_zip(files: Dict[str, str], zip_path: str) -> str:
    """Zip prediction files with their names at the zip's root, atomically.

    Args:
      files: name in the zip -> path on disk.
      zip_path: the zip to write (replaced if it exists).

    Returns:
      zip_path.
    """
    zip_path = os.fspath(zip_path)
    folder = os.path.dirname(os.path.abspath(zip_path))
    os.makedirs(folder, exist_ok=True)
    buffer_path = zip_path + ".tmp"
    try:
        with zipfile.ZipFile(buffer_path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name in in_glue_order(files):
                archive.write(files[name], arcname=name)
        os.replace(buffer_path, zip_path)
    except BaseException:
        if os.path.exists(buffer_path):
            os.remove(buffer_path)
        raise
    return zip_path


def in_glue_order(files: Dict[str, str]) -> List[str]:
    """The file names of ``files`` in the order of the GLUE submission names."""
    order = [name + ".tsv" for name in GLUE_SUBMISSION_NAMES]
    return [name for name in order if name in files]


def missing_submission_names(files: Dict[str, str]) -> List[str]:
    """The GLUE names (e.g. "MNLI-mm") with no file in ``files``."""
    return [name for name in GLUE_SUBMISSION_NAMES if name + ".tsv" not in files]


__all__ = ["HEADER", "SubmissionError", "submission_path", "format_predictions",
           "write_glue_predictions", "write_predictions", "collect_submission_files",
           "write_submission_zip", "missing_submission_names", "in_glue_order"]


if __name__ == "__main__":  # (the same as ``power-bert submit``)
    from power_bert.cli import run_command
    sys.exit(run_command("submit", prog="python -m power_bert.submission"))
