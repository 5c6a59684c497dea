"""The GLUE task table: the one place that knows how each task differs.

Everything task-specific (file names, column positions, header lines, label
strings, metrics, maximum sequence length, GLUE submission file name) lives in
``TASKS``; readers, metrics and the submission writer are driven by it and
never branch on a task's name.

Column indices are 0-based positions in a tab-separated row; a negative index
counts from the end of the row (MNLI's gold label is the last column of both
its 12-column train file and its 16-column dev files).

Where the files are looked up (``TaskSpec.search_dirs``): every file name is
tried in each of the task's search folders, relative to ``DATA_DIR``, in order.
For all tasks but ``ax`` that is just ``DATA_DIR`` itself (the task's folder of
the GLUE download, e.g. ``glue_data/CoLA``). The diagnostic set ``ax`` is
stored by the GLUE download script as ``<GLUE root>/diagnostic/diagnostic.tsv``,
so for ``ax`` the reader accepts any of:

- ``DATA_DIR/diagnostic.tsv``             (DATA_DIR is the folder holding it),
- ``DATA_DIR/diagnostic/diagnostic.tsv``  (DATA_DIR is the GLUE root),
- ``DATA_DIR/../diagnostic/diagnostic.tsv`` (DATA_DIR is a task folder such as
  ``glue_data/MNLI``, so the MNLI folder can be used for both MNLI and AX).

If none exists the reader's error lists every path it tried.

The Hugging Face layout (``TaskSpec.hub``, a ``HubLayout``): the GLUE download script's
data URLs no longer answer, so most users get GLUE from the Hugging Face dataset
``nyu-mll/glue``: one folder per config (``cola``, ``sst2``, ``mnli``, ``ax``, ...) holding
``<split>-00000-of-00001.parquet`` files, with the card's column names, integer class
labels (``-1`` on test) and an ``idx`` column. The facts below (config names, split
names, columns, and the order of each config's ``class_label`` names) come from the
dataset card, https://huggingface.co/datasets/nyu-mll/glue (README.md, ``dataset_info``
features and splits). A task's parquet files are looked up in DATA_DIR itself (the
config folder), in ``DATA_DIR/<config>`` (DATA_DIR is the downloaded dataset's root)
and, for ``ax``, in ``DATA_DIR/../ax`` (DATA_DIR is the ``mnli`` folder).
"""
from dataclasses import dataclass, replace
from typing import Dict, Optional, Tuple

SPLITS = ("train", "dev", "test")

# Metric names understood by power_bert.metrics.
METRIC_NAMES = ("mcc", "accuracy", "f1", "pearson", "spearman")

BINARY_LABELS = ("0", "1")
NLI_2_LABELS = ("entailment", "not_entailment")
# Same order as google-research/bert's MnliProcessor, so class indices match.
NLI_3_LABELS = ("contradiction", "entailment", "neutral")


@dataclass(frozen=True)
class Hyperparameters:
    """Training settings of one task (the original release's values for uncased
    BERT-Base, DESIGN item 12; ``DEFAULT_HYPERPARAMETERS`` for tasks without them)."""
    lr_bert: float
    lr_soft_extract: float
    lambda_: float
    batch_size: int


DEFAULT_HYPERPARAMETERS = Hyperparameters(lr_bert=3e-5, lr_soft_extract=1e-3, lambda_=1e-3,
                                          batch_size=32)


# Columns every config of nyu-mll/glue has besides its sentences: the class (an integer;
# -1 on test; a float32 score for stsb) and the row's index (the GLUE submission index).
HUB_LABEL_COLUMN = "label"
HUB_INDEX_COLUMN = "idx"
HUB_DATASET = "nyu-mll/glue"
HUB_CARD_URL = "https://huggingface.co/datasets/nyu-mll/glue"


@dataclass(frozen=True)
class HubLayout:
    """Where and how one task is stored in the Hugging Face ``nyu-mll/glue`` dataset.

    Attributes:
      config: the dataset's config name, which is also the folder of its files.
      train_split, dev_split, test_split: the config's split names that hold this
        task's train, dev and test sets (a split's file is
        ``<split>-00000-of-00001.parquet``); None where the task has no such split.
      text_a, text_b: column names of the first and second sentence (text_b None
        for single-sentence tasks).
      label_names: the card's ``class_label`` names in integer order (0, 1, ...);
        None for regression (``label`` is a float32 score).
      labels: for each card integer, in the same order, this project's label string
        (``TaskSpec.labels``: the strings of the GLUE files and of the GLUE server),
        so labels are converted by their string, never by their number. None for
        regression.
      search_dirs: folders relative to DATA_DIR where the files are looked up, in
        order; empty means ("", config).
    """

    config: str
    train_split: Optional[str]
    dev_split: Optional[str]
    test_split: str
    text_a: str
    text_b: Optional[str]
    label_names: Optional[Tuple[str, ...]]
    labels: Optional[Tuple[str, ...]]
    search_dirs: Tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.search_dirs:
            object.__setattr__(self, "search_dirs", ("", self.config))
        problems = []
        if (self.label_names is None) != (self.labels is None):
            problems.append("label_names and labels must both be set or both None")
        elif self.labels is not None:
            if len(self.label_names) != len(self.labels):
                problems.append("%d label_names but %d labels"
                                % (len(self.label_names), len(self.labels)))
            for what, values in (("label_names", self.label_names), ("labels", self.labels)):
                if len(set(values)) != len(values):
                    problems.append("duplicate %s %s" % (what, values))
        if problems:
            raise ValueError("Bad hub layout %r: %s" % (self.config, "; ".join(problems)))

    def split_name(self, split: str) -> Optional[str]:
        """The config's split name for "train", "dev" or "test" (None: no such split).

        Raises:
          ValueError: ``split`` is not one of the three split names.
        """
        _check_split(split)
        return {"train": self.train_split, "dev": self.dev_split,
                "test": self.test_split}[split]

    def columns(self, split: str) -> Tuple[str, ...]:
        """The columns a split's file must have (the label only where it is used).

        Raises:
          ValueError: ``split`` is not one of the three split names.
        """
        _check_split(split)
        texts = (self.text_a,) if self.text_b is None else (self.text_a, self.text_b)
        return texts + (HUB_INDEX_COLUMN,) + (() if split == "test" else (HUB_LABEL_COLUMN,))

    def describe_labels(self) -> str:
        """e.g. "0 = unacceptable, 1 = acceptable" (the card's classes)."""
        if self.label_names is None:
            return "a float32 score"
        return ", ".join("%d = %s" % pair for pair in enumerate(self.label_names))


@dataclass(frozen=True)
class FolderLayout:
    """A task stored as one text file per example in a folder per class, as the IMDB
    reviews (``aclImdb/{train,test}/{neg,pos}/<id>_<rating>.txt``, Maas et al. 2011).

    The dev set is a seeded part of the training files (the PoWER-BERT paper holds out
    20% of IMDB's training reviews for tuning); the test files are labelled (their class
    folder) and are the reported set.

    Attributes:
      train_folder, test_folder: the split folders under the layout's root.
      classes: the folder of each class, in class-index order (also the label strings).
      dev_fraction: the share of the training files that is the dev set.
      split_seed: seed of the train/dev split and of the order of every split (fixed,
        not --SEED, so every run tunes on the same dev files).
      file_pattern: regular expression an example's file name must match.
      search_dirs: folders relative to DATA_DIR where the root is looked for, in order
        (DATA_DIR is the ``aclImdb`` folder, or the folder it was extracted into).
      strip_tags: HTML tags replaced by a space (the reviews' line breaks ``<br />``).
    """
    train_folder: str
    test_folder: str
    classes: Tuple[str, ...]
    dev_fraction: float
    split_seed: int
    file_pattern: str
    search_dirs: Tuple[str, ...]
    strip_tags: str


@dataclass(frozen=True)
class TaskSpec:
    """How to read, score and submit one task.

    Attributes:
      name: CLI name, lower case (``--TASK``).
      glue_name: stem of the GLUE submission file (``CoLA`` -> ``CoLA.tsv``);
        None for tasks without a GLUE submission.
      labels: label strings as they appear in the files, in class-index order;
        they are also the strings written to the submission. None for
        regression.
      metrics: metric names; the first is the main metric (model selection).
      seq_len: default maximum sequence length in word pieces.
      train_file, dev_file, test_file: file names looked up in ``search_dirs``
        under DATA_DIR; train/dev are None for test-only tasks.
      has_header: train/dev files start with a header line.
      num_columns: expected column count of the train file (and of the dev
        file unless ``dev_num_columns`` is set). None for test-only tasks.
      dev_num_columns: expected column count of the dev file when it differs
        from the train file (MNLI: 16 against 12); None means ``num_columns``.
      text_a, text_b, label: column indices in train/dev rows (text_b None for
        single-sentence tasks; negative counts from the end).
      test_has_header, test_num_columns: header flag and column count of the
        test file.
      test_index, test_text_a, test_text_b: column indices in test rows; the
        index column value is the example's guid in the submission.
      score_range: (low, high) of a regression score; gold scores outside it
        are rejected and predicted scores are clipped to it.
      label_task: name of the task whose fine-tuned model predicts this one
        (``ax`` is predicted by an MNLI model with MNLI's labels); None if the
        task has its own model.
      search_dirs: folders relative to DATA_DIR where the files are looked up,
        in order ("" is DATA_DIR itself).
      reference: the task's reference hyper-parameters (None: the defaults).
      hub: where the task is in the Hugging Face ``nyu-mll/glue`` parquet layout and
        how its columns and integer labels read (None: TSV files only).
      folders: the task is a folder of text files per class (``FolderLayout``: IMDB),
        not TSV files; its column fields are None and its test set is labelled.
    """

    name: str
    glue_name: Optional[str]
    labels: Optional[Tuple[str, ...]]
    metrics: Tuple[str, ...]
    seq_len: int
    train_file: Optional[str]
    dev_file: Optional[str]
    test_file: str
    has_header: bool
    num_columns: Optional[int]
    text_a: Optional[int]
    text_b: Optional[int]
    label: Optional[int]
    test_has_header: bool
    test_num_columns: Optional[int]
    test_index: Optional[int]
    test_text_a: Optional[int]
    test_text_b: Optional[int]
    dev_num_columns: Optional[int] = None
    score_range: Optional[Tuple[float, float]] = None
    label_task: Optional[str] = None
    search_dirs: Tuple[str, ...] = ("",)
    reference: Optional[Hyperparameters] = None
    hub: Optional[HubLayout] = None
    folders: Optional[FolderLayout] = None

    @property
    def labelled_test(self) -> bool:
        """The test split has labels (it can be evaluated: ``--EVAL_SPLIT test``)."""
        return self.folders is not None

    @property
    def hyperparameters(self) -> Hyperparameters:
        """The reference hyper-parameters, or the defaults when the task has none."""
        return self.reference or DEFAULT_HYPERPARAMETERS

    def __post_init__(self) -> None:
        problems = []
        if self.name != self.name.lower():
            problems.append("name must be lower case")
        if not self.metrics:
            problems.append("metrics is empty")
        unknown = [m for m in self.metrics if m not in METRIC_NAMES]
        if unknown:
            problems.append("unknown metrics %s (known: %s)"
                            % (unknown, ", ".join(METRIC_NAMES)))
        if self.labels is None and self.score_range is None:
            problems.append("a regression task needs score_range")
        if self.labels is not None and len(set(self.labels)) != len(self.labels):
            problems.append("duplicate labels %s" % (self.labels,))
        if self.seq_len < 3:
            problems.append("seq_len (%d) must be at least 3" % self.seq_len)
        if (self.train_file is None) != (self.dev_file is None):
            problems.append("train_file and dev_file must both be set or both None")
        if self.folders is not None:
            if self.labels != self.folders.classes:
                problems.append("labels must be the class folders %s" % (self.folders.classes,))
            if self.hub is not None:
                problems.append("a folder task has no hub layout")
        elif self.train_file is not None:
            if self.num_columns is None or self.text_a is None or self.label is None:
                problems.append("train/dev files need num_columns, text_a and label")
            else:
                for count in {self.num_columns, self.dev_num_columns or self.num_columns}:
                    problems += _column_problems(
                        "train/dev", count,
                        {"text_a": self.text_a, "text_b": self.text_b,
                         "label": self.label})
        if self.folders is None and None in (self.test_num_columns, self.test_index,
                                             self.test_text_a):
            problems.append("the test file needs test_num_columns, test_index, test_text_a")
        problems += _column_problems(
            "test", self.test_num_columns,
            {"test_index": self.test_index, "test_text_a": self.test_text_a,
             "test_text_b": self.test_text_b})
        if self.hub is not None:
            problems += self._hub_problems()
        if problems:
            raise ValueError("Bad task table entry %r: %s" % (self.name, "; ".join(problems)))

    def _hub_problems(self):
        """The hub layout must hold the same splits, sentences and labels as the files."""
        hub, problems = self.hub, []
        for split in SPLITS:
            if (hub.split_name(split) is None) != (self.split_file(split) is None):
                problems.append("hub %s split must exist exactly when %s_file does"
                                % (split, split))
        if (hub.text_b is None) != (self.test_text_b is None):
            problems.append("hub text_b must be set exactly when the task has a second "
                            "sentence")
        if (hub.labels is None) != (self.labels is None):
            problems.append("hub labels must be set exactly when the task has labels")
        elif hub.labels is not None and sorted(hub.labels) != sorted(self.labels):
            problems.append("hub labels %s are not the task's labels %s in some order"
                            % (hub.labels, self.labels))
        return problems

    @property
    def is_regression(self) -> bool:
        """True when the target is a real-valued score (STS-B)."""
        return self.labels is None

    @property
    def num_labels(self) -> int:
        """Number of output units: the number of classes, 1 for regression."""
        return 1 if self.labels is None else len(self.labels)

    @property
    def main_metric(self) -> str:
        """The metric used to select the best epoch (first of ``metrics``)."""
        return self.metrics[0]

    @property
    def splits(self) -> Tuple[str, ...]:
        """The splits this task has files for, among ("train", "dev", "test")."""
        return tuple(s for s in SPLITS if self.split_file(s) is not None)

    def split_file(self, split: str) -> Optional[str]:
        """File name of a split, or None when the task has no such split.

        Args:
          split: "train", "dev" or "test".

        Returns:
          The file name, relative to one of ``search_dirs``.

        Raises:
          ValueError: ``split`` is not one of the three split names.
        """
        _check_split(split)
        return {"train": self.train_file, "dev": self.dev_file,
                "test": self.test_file}[split]

    def split_num_columns(self, split: str) -> Optional[int]:
        """Expected column count of a split's file (None if no such split).

        Raises:
          ValueError: ``split`` is not one of the three split names.
        """
        _check_split(split)
        if split == "test":
            return self.test_num_columns
        if split == "dev" and self.dev_num_columns is not None:
            return self.dev_num_columns
        return self.num_columns

    def split_has_header(self, split: str) -> bool:
        """Whether a split's file starts with a header line.

        Raises:
          ValueError: ``split`` is not one of the three split names.
        """
        _check_split(split)
        return self.test_has_header if split == "test" else self.has_header


def _check_split(split: str) -> None:
    if split not in SPLITS:
        raise ValueError("Unknown split %r; expected one of %s" % (split, ", ".join(SPLITS)))


def _column_problems(what: str, num_columns: int, columns: Dict[str, Optional[int]]):
    problems = []
    for field, index in columns.items():
        if index is not None and not -num_columns <= index < num_columns:
            problems.append("%s column %s=%d is outside a %d-column row"
                            % (what, field, index, num_columns))
    return problems


# What the GLUE download script's tasks share: the three files, a header line, and a test
# file with a header whose first column is the example's index.
_GLUE_FILES = dict(train_file="train.tsv", dev_file="dev.tsv", test_file="test.tsv",
                   has_header=True, test_has_header=True, test_index=0)


def _glue_task(**fields) -> TaskSpec:
    """A GLUE task: ``fields`` with ``_GLUE_FILES`` for those not given."""
    return TaskSpec(**{**_GLUE_FILES, **fields})


def _sentence_pair_task(name: str, glue_name: str, labels: Tuple[str, ...],
                        seq_len: int, hub: HubLayout,
                        reference: Optional[Hyperparameters] = None) -> TaskSpec:
    """QNLI, RTE, WNLI: ``index s1 s2 label``; test ``index s1 s2``; header."""
    return _glue_task(
        name=name, glue_name=glue_name, labels=labels, metrics=("accuracy",),
        seq_len=seq_len, num_columns=4, text_a=1, text_b=2, label=3,
        test_num_columns=3, test_text_a=1, test_text_b=2, reference=reference, hub=hub)


def _mnli_task(name: str, glue_name: str, suffix: str,
               reference: Hyperparameters) -> TaskSpec:
    """MNLI: train 12 columns, dev 16 (five annotator labels), test 10.

    sentence1/sentence2 are columns 8 and 9; the gold label is the last column.
    """
    return _glue_task(
        name=name, glue_name=glue_name, labels=NLI_3_LABELS, metrics=("accuracy",),
        seq_len=128, dev_file="dev_%s.tsv" % suffix, test_file="test_%s.tsv" % suffix,
        num_columns=12, dev_num_columns=16, text_a=8, text_b=9, label=-1,
        test_num_columns=10, test_text_a=8, test_text_b=9, reference=reference,
        hub=HubLayout(config="mnli", train_split="train", dev_split="validation_" + suffix,
                      test_split="test_" + suffix, text_a="premise", text_b="hypothesis",
                      label_names=_HUB_NLI_3, labels=_HUB_NLI_3))


# The nyu-mll/glue card's class_label names, integer 0 first (HUB_CARD_URL, README.md,
# dataset_info): cola 0 = unacceptable, 1 = acceptable; sst2 0 = negative, 1 = positive;
# mrpc 0 = not_equivalent, 1 = equivalent; qqp 0 = not_duplicate, 1 = duplicate; stsb a
# float32 label; mnli (and ax) 0 = entailment, 1 = neutral, 2 = contradiction; qnli and
# rte 0 = entailment, 1 = not_entailment; wnli 0 = not_entailment, 1 = entailment. The
# hub built them from the GLUE files, so a file's "0"/"1" is the card's 0/1, and
# MNLI's order differs from this project's (contradiction, entailment, neutral).
_HUB_NLI_3 = ("entailment", "neutral", "contradiction")


def _hub(config: str, text_a: str, text_b: Optional[str],
         label_names: Optional[Tuple[str, ...]], labels: Optional[Tuple[str, ...]],
         ) -> HubLayout:
    """A config with the splits train, validation and test."""
    return HubLayout(config=config, train_split="train", dev_split="validation",
                     test_split="test", text_a=text_a, text_b=text_b,
                     label_names=label_names, labels=labels)


# SST-2: "sentence label"; test "index sentence".
_SST2 = _glue_task(
    name="sst-2", glue_name="SST-2", labels=BINARY_LABELS, metrics=("accuracy",),
    seq_len=64, num_columns=2, text_a=0, text_b=None, label=1,
    test_num_columns=2, test_text_a=1, test_text_b=None,
    reference=Hyperparameters(lr_bert=3e-5, lr_soft_extract=5e-4, lambda_=2e-4, batch_size=64),
    hub=_hub("sst2", "sentence", None, ("negative", "positive"), BINARY_LABELS))


_TASK_LIST = (
    # CoLA train/dev: no header; source, label, original label, sentence.
    _glue_task(
        name="cola", glue_name="CoLA", labels=BINARY_LABELS, metrics=("mcc",),
        seq_len=64, has_header=False, num_columns=4, text_a=3, text_b=None, label=1,
        test_num_columns=2, test_text_a=1, test_text_b=None,
        reference=Hyperparameters(lr_bert=2e-5, lr_soft_extract=1.5e-3, lambda_=7e-3,
                                  batch_size=32),
        hub=_hub("cola", "sentence", None, ("unacceptable", "acceptable"), BINARY_LABELS)),
    _SST2,
    # MRPC: "Quality #1 ID #2 ID #1 String #2 String"; test has index first.
    _glue_task(
        name="mrpc", glue_name="MRPC", labels=BINARY_LABELS, metrics=("f1", "accuracy"),
        seq_len=128, num_columns=5, text_a=3, text_b=4, label=0,
        test_num_columns=5, test_text_a=3, test_text_b=4,
        reference=Hyperparameters(lr_bert=6e-5, lr_soft_extract=3e-3, lambda_=3e-3,
                                  batch_size=64),
        hub=_hub("mrpc", "sentence1", "sentence2", ("not_equivalent", "equivalent"),
                 BINARY_LABELS)),
    # STS-B: 10 columns, sentence1/2 at 7/8, score last; test 9 columns.
    _glue_task(
        name="sts-b", glue_name="STS-B", labels=None, metrics=("spearman", "pearson"),
        seq_len=64, score_range=(0.0, 5.0), num_columns=10, text_a=7, text_b=8, label=9,
        test_num_columns=9, test_text_a=7, test_text_b=8,
        reference=Hyperparameters(lr_bert=3e-5, lr_soft_extract=3e-3, lambda_=1e-3,
                                  batch_size=64),
        hub=_hub("stsb", "sentence1", "sentence2", None, None)),
    # QQP: "id qid1 qid2 question1 question2 is_duplicate"; test "id q1 q2".
    _glue_task(
        name="qqp", glue_name="QQP", labels=BINARY_LABELS, metrics=("f1", "accuracy"),
        seq_len=128, num_columns=6, text_a=3, text_b=4, label=5,
        test_num_columns=3, test_text_a=1, test_text_b=2,
        reference=Hyperparameters(lr_bert=3e-5, lr_soft_extract=1e-4, lambda_=3e-4,
                                  batch_size=64),
        hub=_hub("qqp", "question1", "question2", ("not_duplicate", "duplicate"),
                 BINARY_LABELS)),
    _mnli_task("mnli-m", "MNLI-m", "matched",
               Hyperparameters(lr_bert=3e-5, lr_soft_extract=2e-4, lambda_=1e-4, batch_size=64)),
    _mnli_task("mnli-mm", "MNLI-mm", "mismatched",
               Hyperparameters(lr_bert=3e-5, lr_soft_extract=1e-4, lambda_=1e-4, batch_size=64)),
    _sentence_pair_task("qnli", "QNLI", NLI_2_LABELS, 128,
                        _hub("qnli", "question", "sentence", NLI_2_LABELS, NLI_2_LABELS),
                        Hyperparameters(lr_bert=3e-5, lr_soft_extract=2e-4, lambda_=1.5e-4,
                                        batch_size=16)),
    _sentence_pair_task("rte", "RTE", NLI_2_LABELS, 256,
                        _hub("rte", "sentence1", "sentence2", NLI_2_LABELS, NLI_2_LABELS),
                        Hyperparameters(lr_bert=3e-5, lr_soft_extract=3e-3, lambda_=1e-3,
                                        batch_size=16)),
    _sentence_pair_task("wnli", "WNLI", BINARY_LABELS, 128,
                        _hub("wnli", "sentence1", "sentence2", ("not_entailment", "entailment"),
                             BINARY_LABELS)),
    # AX (diagnostic): test only, "index sentence1 sentence2"; predicted by
    # the MNLI-m model, so it carries MNLI's labels in MNLI's order.
    TaskSpec(
        name="ax", glue_name="AX", labels=NLI_3_LABELS, metrics=("accuracy",),
        seq_len=128, label_task="mnli-m",
        train_file=None, dev_file=None, test_file="diagnostic.tsv",
        has_header=True, num_columns=None, text_a=None, text_b=None, label=None,
        test_has_header=True, test_num_columns=3,
        test_index=0, test_text_a=1, test_text_b=2,
        search_dirs=("", "diagnostic", "../diagnostic"),
        hub=HubLayout(config="ax", train_split=None, dev_split=None, test_split="test",
                      text_a="premise", text_b="hypothesis", label_names=_HUB_NLI_3,
                      labels=_HUB_NLI_3, search_dirs=("", "ax", "../ax"))),
    # IMDB movie reviews (Maas et al., ACL 2011) as users download them (aclImdb_v1.tar.gz):
    # long documents, so 512 word pieces, the most BERT takes.
    TaskSpec(
        name="imdb", glue_name=None, labels=("neg", "pos"), metrics=("accuracy",),
        seq_len=512, train_file="train", dev_file="train", test_file="test",
        has_header=False, num_columns=None, text_a=None, text_b=None, label=None,
        test_has_header=False, test_num_columns=None, test_index=None, test_text_a=None,
        test_text_b=None,
        folders=FolderLayout(train_folder="train", test_folder="test", classes=("neg", "pos"),
                             dev_fraction=0.2, split_seed=0,
                             file_pattern=r"(?P<id>\d+)_(?P<rating>\d+)\.txt",
                             search_dirs=("", "aclImdb"), strip_tags=r"<br\s*/?>")),
    # The project's embedded synthetic sentiment set, in SST-2's layout (TSV only).
    replace(_SST2, name="demo", glue_name=None, reference=None, hub=None),
)

TASKS: Dict[str, TaskSpec] = {spec.name: spec for spec in _TASK_LIST}
TASK_NAMES: Tuple[str, ...] = tuple(TASKS)
# The GLUE submission files, in the order of the leaderboard.
GLUE_SUBMISSION_NAMES: Tuple[str, ...] = tuple(
    spec.glue_name for spec in _TASK_LIST if spec.glue_name is not None)

def _check_label_tasks() -> None:
    """A task predicted by another task's model must share its label list."""
    for spec in _TASK_LIST:
        if spec.label_task is None:
            continue
        target = TASKS.get(spec.label_task)
        if target is None or target.labels != spec.labels:
            raise ValueError("Task %r: label_task %r must be a task with the same labels"
                             % (spec.name, spec.label_task))


_check_label_tasks()


def get_task(name) -> TaskSpec:
    """Look a task up by name (case-insensitive; GLUE names such as "CoLA" work).

    Args:
      name: a task name such as "cola" or "MNLI-mm", or a TaskSpec (returned
        as is).

    Returns:
      The task's TaskSpec.

    Raises:
      ValueError: the name is not in the table; the message lists valid names.
    """
    if isinstance(name, TaskSpec):
        return name
    key = str(name).strip().lower()
    if key not in TASKS:
        raise ValueError("Unknown task %r; valid tasks are: %s" % (name, ", ".join(TASK_NAMES)))
    return TASKS[key]


__all__ = ["TaskSpec", "HubLayout", "FolderLayout", "HUB_LABEL_COLUMN", "HUB_INDEX_COLUMN", "HUB_DATASET",
           "HUB_CARD_URL", "Hyperparameters", "DEFAULT_HYPERPARAMETERS", "TASKS", "TASK_NAMES", "GLUE_SUBMISSION_NAMES", "SPLITS",
           "METRIC_NAMES", "get_task"]
