"""A task stored as one text file per example in a folder per class (IMDB's aclImdb).

The layout (``TaskSpec.folders``, a ``FolderLayout``):
``<root>/{train,test}/{neg,pos}/<id>_<rating>.txt``. The label comes from the class
folder, the dev set is a seeded part of the training files, and the test files are
labelled. A text is UTF-8 with the layout's ``strip_tags`` (``<br />``) replaced by a
space. A missing folder, a file name outside the layout, an empty class folder, an
empty or non-UTF-8 file raise ``DataError`` naming the path.
"""
import os
import re
from typing import List, Tuple

import numpy as np

from power_bert.data.records import FOLDERS, LAYOUT_NAMES, Example, PathLike, SplitData
from power_bert.errors import DataError
from power_bert.tasks import TaskSpec


def folder_root(task: TaskSpec, data_dir: PathLike) -> str:
    """The folder holding a folder task's split folders (``aclImdb``).

    Raises:
      DataError: no search folder holds the train or test folder (lists where it looked).
    """
    layout = task.folders
    tried = []
    for folder in layout.search_dirs:
        root = os.path.abspath(os.path.join(os.fspath(data_dir), folder))
        tried.append(root)
        if any(os.path.isdir(os.path.join(root, name))
               for name in (layout.train_folder, layout.test_folder)):
            return root
    raise DataError("Task %s: no %s or %s folder in %s (expected the %s layout: "
                    "<root>/{%s,%s}/{%s}/<id>_<rating>.txt)"
                    % (task.name, layout.train_folder, layout.test_folder, ", ".join(tried),
                       LAYOUT_NAMES[FOLDERS], layout.train_folder, layout.test_folder,
                       ",".join(layout.classes)))


def split_folder(task: TaskSpec, data_dir: PathLike, split: str) -> str:
    """The folder of a split: the training folder for "train" and "dev", else the test
    folder. Raises DataError when it is missing."""
    layout = task.folders
    name = layout.test_folder if split == "test" else layout.train_folder
    folder = os.path.join(folder_root(task, data_dir), name)
    if not os.path.isdir(folder):
        raise DataError("Task %s, %s split: folder not found: %s" % (task.name, split, folder))
    return folder


def class_files(task: TaskSpec, folder: str) -> List[Tuple[str, int]]:
    """(path, class index) of every example file of a split folder: class by class, by
    the numeric id of the file name.

    Raises:
      DataError: a class folder is missing, a file name does not match the layout, or a
        class folder holds no file.
    """
    layout = task.folders
    pattern = re.compile(layout.file_pattern)
    files = []
    for index, name in enumerate(layout.classes):
        class_folder = os.path.join(folder, name)
        if not os.path.isdir(class_folder):
            raise DataError("%s: no %s folder; a split folder of task %s holds one folder per "
                            "class: %s" % (folder, name, task.name, ", ".join(layout.classes)))
        found = []
        for entry in os.listdir(class_folder):
            if entry.startswith("."):  # (hidden files of file managers)
                continue
            match = pattern.fullmatch(entry)
            if not match:
                raise DataError("%s: the file name is not <id>_<rating>.txt"
                                % os.path.join(class_folder, entry))
            found.append((int(match.group("id")), entry))
        if not found:
            raise DataError("%s: no example file (<id>_<rating>.txt)" % class_folder)
        files += [(os.path.join(class_folder, entry), index) for _, entry in sorted(found)]
    return files


def _read_text_file(path: str, strip_tags: str) -> str:
    """One example's text, UTF-8, with ``strip_tags`` replaced by a space.

    Raises:
      DataError: not UTF-8 (the byte's offset), unreadable, or empty once stripped.
    """
    try:
        with open(path, "rb") as reader:
            raw = reader.read()
    except OSError as e:
        raise DataError("cannot read %s: %s" % (path, e.strerror or e)) from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        raise DataError("%s: not valid UTF-8 (byte %d: %s); the reviews are UTF-8 text"
                        % (path, e.start + 1, e.reason)) from None
    text = " ".join(re.sub(strip_tags, " ", text).split())
    if not text:
        raise DataError("%s: the example is empty" % path)
    return text


def read_folder_split(task: TaskSpec, data_dir: PathLike, split: str) -> SplitData:
    """Reads a split of a folder task (IMDB): train and dev are the training files
    divided by ``split_seed`` (``dev_fraction`` of them is dev), test the test files;
    each split in an order shuffled by ``split_seed`` (the class folders are read one
    after the other, so a first-N subset of file order would hold one class)."""
    layout = task.folders
    folder = split_folder(task, data_dir, split)
    files = class_files(task, folder)
    order = np.random.RandomState(layout.split_seed).permutation(len(files))
    if split != "test":
        num_dev = int(round(layout.dev_fraction * len(files)))
        order = order[:num_dev] if split == "dev" else order[num_dev:]
    root = os.path.dirname(folder)
    examples = []
    for i in order:
        path, label = files[i]
        guid = os.path.relpath(path, root).replace(os.sep, "/")
        examples.append(Example(guid, _read_text_file(path, layout.strip_tags), None, label))
    if not examples:
        raise DataError("%s: no usable %s example for task %s" % (folder, split, task.name))
    return SplitData(task, split, folder, examples, len(examples), (), FOLDERS,
                     tuple(files[i][0] for i in order))
