"""Small GLUE files in the exact official layouts, and a tiny vocabulary writer.

The layouts follow the GLUE download script (headers, column counts, label
strings, MNLI's dev_matched/dev_mismatched/test_matched/test_mismatched,
``diagnostic/diagnostic.tsv``). The sentences are made up; a few contain quote
characters, which the reader must keep (csv.QUOTE_NONE).

Use ``write_glue_root(tmp_path)`` for a whole GLUE folder, one of the
``write_<task>`` functions for one task folder (``helpers.tiny.write_vocab`` writes
a vocabulary).

The same files in the Hugging Face ``nyu-mll/glue`` parquet layout (one folder per
config, the dataset card's columns, integer labels and ``idx``): ``write_hub_root``,
``write_hub_folder``, and ``hub_from_tsv_folder`` to rewrite real GLUE TSV files.
"""
from pathlib import Path
from typing import Dict, List, NamedTuple, Optional, Sequence, Tuple

Row = Tuple[str, ...]
# file name -> (header or None, rows)
FileSpec = Tuple[Optional[Row], List[Row]]


def write_tsv(path, rows: Sequence[Sequence[str]], header: Optional[Sequence[str]] = None,
              final_newline: bool = True, bom: bool = False) -> Path:
    """Write tab-separated rows as UTF-8 (no quoting, like the GLUE files).

    Args:
      path: file to write (folders are created).
      rows: the data rows.
      header: an optional first line.
      final_newline: end the file with a newline (CoLA's dev.tsv has none).
      bom: start with a UTF-8 byte-order mark (MRPC's train/dev).

    Returns:
      The path written.
    """
    lines = ([list(header)] if header is not None else []) + [list(r) for r in rows]
    text = "\n".join("\t".join(line) for line in lines) + ("\n" if final_newline else "")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + text.encode("utf-8"))
    return path


# ----- QQP: id qid1 qid2 question1 question2 is_duplicate; test: id question1 question2 ---
QQP_HEADER = ("id", "qid1", "qid2", "question1", "question2", "is_duplicate")
QQP_TEST_HEADER = ("id", "question1", "question2")
QQP_FILES: Dict[str, FileSpec] = {
    "train.tsv": (QQP_HEADER, [
        ("201359", "303345", "303346", "How do I cook rice in a pot?",
         "What is the best way to cook rice without a cooker?", "1"),
        ("263843", "69383", "380476", "Why is the sky blue?",
         "What makes sunsets look red?", "0"),
        ("172974", "266948", "175089", "What does \"literally\" mean now?",
         "How has the word \"literally\" changed?", "1"),
        ("15329", "29298", "29299", "Which phone has the best camera?",
         "How can I learn to swim as an adult?", "0"),
    ]),
    "dev.tsv": (QQP_HEADER, [
        ("40000", "80000", "80001", "Is coffee bad for you?", "Is drinking coffee unhealthy?", "1"),
        ("40001", "80002", "80003", "How tall is a giraffe?", "Where do penguins live?", "0"),
    ]),
    "test.tsv": (QQP_TEST_HEADER, [
        ("0", "Would a cat like a box?", "Why do cats love boxes?"),
        ("1", "What is a good first programming language?", "Should I learn Python first?"),
        ("2", "How long do tortoises live?", "Do tortoises outlive humans?"),
    ]),
}

# ----- MNLI: train 12 columns, dev 16 (5 annotator labels), test 10 ------------------------
_MNLI_LEAD = ("index", "promptID", "pairID", "genre", "sentence1_binary_parse",
              "sentence2_binary_parse", "sentence1_parse", "sentence2_parse",
              "sentence1", "sentence2")
MNLI_TRAIN_HEADER = _MNLI_LEAD + ("label1", "gold_label")
MNLI_DEV_HEADER = _MNLI_LEAD + ("label1", "label2", "label3", "label4", "label5", "gold_label")
MNLI_TEST_HEADER = _MNLI_LEAD


def _mnli_lead(index: int, prompt: int, pair: str, genre: str, s1: str, s2: str) -> Row:
    """The first ten MNLI columns, with (crude) parses made from the sentences."""
    def binary(s: str) -> str:
        return "( " + " ".join(s.rstrip(".").split()) + " )"

    def tree(s: str) -> str:
        return "(ROOT (S " + " ".join("(NN %s)" % w for w in s.rstrip(".").split()) + "))"

    return (str(index), str(prompt), pair, genre, binary(s1), binary(s2), tree(s1), tree(s2),
            s1, s2)


_MNLI_LABELS = {"e": "entailment", "n": "neutral", "c": "contradiction"}


def _mnli_dev(index: int, prompt: int, pair: str, genre: str, s1: str, s2: str,
              labels: str) -> Row:
    """A dev row: ``labels`` holds the five annotators' labels then the gold label, one
    letter each (e, n, c)."""
    return _mnli_lead(index, prompt, pair, genre, s1, s2) + tuple(
        _MNLI_LABELS[letter] for letter in labels)


MNLI_FILES: Dict[str, FileSpec] = {
    "train.tsv": (MNLI_TRAIN_HEADER, [
        _mnli_lead(0, 31193, "31193n", "government", "The council met on Tuesday.",
                   "The council met twice that week.") + ("neutral", "neutral"),
        _mnli_lead(1, 101457, "101457e", "telephone", "i bought a new car last month",
                   "I purchased a car recently.") + ("entailment", "entailment"),
        _mnli_lead(2, 134793, "134793e", "fiction", "She never left the village.",
                   "She traveled all over the world.") + ("contradiction", "contradiction"),
        _mnli_lead(3, 37397, "37397e", "travel", "The museum opens at nine.",
                   "You can visit the museum in the morning.") + ("entailment", "entailment"),
        _mnli_lead(4, 50563, "50563c", "slate", "He said \"no\" to every offer.",
                   "He accepted the first offer.") + ("contradiction", "contradiction"),
    ]),
    "dev_matched.tsv": (MNLI_DEV_HEADER, [
        _mnli_dev(0, 63735, "63735n", "slate", "The new rules are simple enough.",
                  "Everyone likes the new rules.", "nennnn"),
        _mnli_dev(1, 91383, "91383c", "government", "The office closes at five.",
                  "The office is open all night.", "cccccc"),
        _mnli_dev(2, 755, "755e", "telephone", "yeah we go camping every summer",
                  "We camp in the summer.", "eeenee"),
    ]),
    "dev_mismatched.tsv": (MNLI_DEV_HEADER, [
        _mnli_dev(0, 75290, "75290c", "letters", "Your gift helps children read.",
                  "Your gift does nothing for children.", "cccccc"),
        _mnli_dev(1, 133794, "133794c", "verbatim", "Words change their meaning over time.",
                  "Some words mean new things today.", "eeeene"),
    ]),
    "test_matched.tsv": (MNLI_TEST_HEADER, [
        _mnli_lead(0, 31, "31e", "travel", "The hotel is near the beach.",
                   "The hotel is far from the sea."),
        _mnli_lead(1, 43, "43n", "fiction", "The dog barked at night.",
                   "The dog was hungry."),
        _mnli_lead(2, 69, "69c", "slate", "Prices rose in May.", "Prices went up."),
    ]),
    "test_mismatched.tsv": (MNLI_TEST_HEADER, [
        _mnli_lead(0, 7, "7e", "oup", "Weaving is an old craft.", "Weaving is new."),
        _mnli_lead(1, 11, "11n", "nineeleven", "The call came at eight.",
                   "Someone phoned in the morning."),
        _mnli_lead(2, 15, "15c", "facetoface", "We met at the station.",
                   "We met at the airport."),
        _mnli_lead(3, 19, "19e", "letters", "Thank you for your support.",
                   "You supported us."),
    ]),
}

# ----- QNLI: index question sentence label; test: index question sentence ------------------
QNLI_FILES: Dict[str, FileSpec] = {
    "train.tsv": (("index", "question", "sentence", "label"), [
        ("0", "When did the bridge open?", "The bridge opened in 1932.", "entailment"),
        ("1", "Who wrote the anthem?", "The anthem is sung before games.", "not_entailment"),
        ("2", "What is the river called?", "The river, called \"Old Man\", floods often.",
         "entailment"),
    ]),
    "dev.tsv": (("index", "question", "sentence", "label"), [
        ("0", "How big is the park?", "The park covers 40 hectares.", "entailment"),
        ("1", "Where was he born?", "He moved to Paris at ten.", "not_entailment"),
    ]),
    "test.tsv": (("index", "question", "sentence"), [
        ("0", "What year did the war end?", "The war ended in 1815."),
        ("1", "Who built the tower?", "The tower is 300 metres tall."),
    ]),
}

# ----- RTE: index sentence1 sentence2 label; test: index sentence1 sentence2 ---------------
RTE_FILES: Dict[str, FileSpec] = {
    "train.tsv": (("index", "sentence1", "sentence2", "label"), [
        ("0", "No rain fell in the city this week.", "It rained in the city this week.",
         "not_entailment"),
        ("1", "The company hired 200 new workers.", "The company hired workers.",
         "entailment"),
    ]),
    "dev.tsv": (("index", "sentence1", "sentence2", "label"), [
        ("0", "The singer, who was born in Ohio, moved to Texas.",
         "The singer was born in Ohio.", "entailment"),
        ("1", "Ten people attended.", "Nobody came.", "not_entailment"),
        ("2", "The law passed in 2004.", "The law passed.", "entailment"),
    ]),
    "test.tsv": (("index", "sentence1", "sentence2"), [
        ("0", "The ship sank near the coast.", "The ship reached port."),
        ("1", "Sales doubled last year.", "Sales grew."),
        ("2", "The mayor resigned on Monday.", "The mayor left office."),
        ("3", "The bird cannot fly.", "The bird is a penguin."),
    ]),
}

# ----- WNLI: index sentence1 sentence2 label (0/1); test: index sentence1 sentence2 --------
WNLI_FILES: Dict[str, FileSpec] = {
    "train.tsv": (("index", "sentence1", "sentence2", "label"), [
        ("0", "The trophy did not fit in the case because it was too big.",
         "The trophy was too big.", "1"),
        ("1", "The trophy did not fit in the case because it was too big.",
         "The case was too big.", "0"),
        ("2", "Anna thanked Lucy because she had helped her.", "Lucy had helped Anna.", "1"),
    ]),
    "dev.tsv": (("index", "sentence1", "sentence2", "label"), [
        ("0", "The city refused the marchers a permit because they feared violence.",
         "The marchers feared violence.", "0"),
    ]),
    "test.tsv": (("index", "sentence1", "sentence2"), [
        ("0", "The man lifted the boy because he was light.", "The boy was light."),
        ("1", "Sam pulled Tom because he was stuck.", "Tom was stuck."),
    ]),
}

# ----- AX (diagnostic/diagnostic.tsv): index sentence1 sentence2 ---------------------------
AX_FILES: Dict[str, FileSpec] = {
    "diagnostic.tsv": (("index", "sentence1", "sentence2"), [
        ("0", "The cat sat on the mat.", "The cat did not sit on the mat."),
        ("1", "Every student passed.", "Some student passed."),
        ("2", "Tom said \"hi\".", "Tom spoke."),
    ]),
}

# ----- CoLA: no header, source label original-label sentence; test: index sentence --------
COLA_FILES: Dict[str, FileSpec] = {
    "train.tsv": (None, [
        ("gj04", "1", "", "The cat chased the mouse."),
        ("gj04", "0", "*", "Mouse the chased cat the."),
        ("bc01", "1", "", "She said \"stop\" and left."),
    ]),
    "dev.tsv": (None, [
        ("gj04", "1", "", "The book is on the table."),
        ("gj04", "0", "*", "On is the table book the."),
    ]),
    "test.tsv": (("index", "sentence"), [
        ("0", "The sun rose slowly."),
        ("1", "Slowly rose sun the."),
    ]),
}

# ----- SST-2: sentence label; test: index sentence -----------------------------------------
SST2_FILES: Dict[str, FileSpec] = {
    "train.tsv": (("sentence", "label"), [
        ("a charming and funny film ", "1"),
        ("dull , flat and lifeless ", "0"),
        ("the best movie of the year ", "1"),
    ]),
    "dev.tsv": (("sentence", "label"), [
        ("a sad , boring mess . ", "0"),
        ("warm and wonderful . ", "1"),
    ]),
    "test.tsv": (("index", "sentence"), [
        ("0", "a film with heart ."),
        ("1", "not worth the ticket ."),
    ]),
}

# ----- MRPC: Quality #1 ID #2 ID #1 String #2 String (BOM); test: index ... ---------------
_MRPC_HEADER = ("Quality", "#1 ID", "#2 ID", "#1 String", "#2 String")
MRPC_FILES: Dict[str, FileSpec] = {
    "train.tsv": (_MRPC_HEADER, [
        ("1", "702876", "702977", "The firm said profits rose 5 percent .",
         "Profits rose 5 percent , the firm said ."),
        ("0", "2108705", "2108831", "The team won on Sunday .", "The coach was fired in May ."),
    ]),
    "dev.tsv": (_MRPC_HEADER, [
        ("1", "1355540", "1355592", "He left the company in June .",
         "In June , he quit the company ."),
    ]),
    "test.tsv": (("index", "#1 ID", "#2 ID", "#1 String", "#2 String"), [
        ("0", "1089874", "1089925", "The vote was delayed .", "The vote was postponed ."),
    ]),
}

# ----- STS-B: 10 columns, score last; test 9 columns ---------------------------------------
_STSB_LEAD = ("index", "genre", "filename", "year", "old_index", "source1", "source2",
              "sentence1", "sentence2")
STSB_FILES: Dict[str, FileSpec] = {
    "train.tsv": (_STSB_LEAD + ("score",), [
        ("0", "main-captions", "MSRvid", "2012test", "0001", "none", "none",
         "A plane is taking off.", "An airplane is taking off.", "5.000"),
        ("1", "main-news", "headlines", "2013", "0002", "none", "none",
         "A man plays a guitar.", "A woman slices onions.", "0.000"),
        ("2", "main-forums", "answers", "2015", "0003", "none", "none",
         "A dog runs.", "A dog is running fast.", "3.800"),
    ]),
    "dev.tsv": (_STSB_LEAD + ("score",), [
        ("0", "main-captions", "MSRvid", "2012test", "0000", "none", "none",
         "A man is dancing.", "A man dances.", "4.750"),
    ]),
    "test.tsv": (_STSB_LEAD, [
        ("0", "main-captions", "MSRvid", "2012test", "0024", "none", "none",
         "A girl is styling her hair.", "A girl is brushing her hair."),
    ]),
}

# GLUE folder name -> files, as the download script lays them out.
GLUE_FOLDERS: Dict[str, Dict[str, FileSpec]] = {
    "CoLA": COLA_FILES,
    "SST-2": SST2_FILES,
    "MRPC": MRPC_FILES,
    "STS-B": STSB_FILES,
    "QQP": QQP_FILES,
    "MNLI": MNLI_FILES,
    "QNLI": QNLI_FILES,
    "RTE": RTE_FILES,
    "WNLI": WNLI_FILES,
    "diagnostic": AX_FILES,
}


def write_folder(root, folder: str) -> Path:
    """Write one GLUE folder (a key of ``GLUE_FOLDERS``) under ``root``.

    CoLA's dev.tsv gets no final newline and MRPC's train/dev a byte-order
    mark, as in the real download.

    Returns:
      ``root/folder``.
    """
    target = Path(root) / folder
    for name, (header, rows) in GLUE_FOLDERS[folder].items():
        write_tsv(target / name, rows, header,
                  final_newline=not (folder == "CoLA" and name == "dev.tsv"),
                  bom=folder == "MRPC" and name != "test.tsv")
    return target


def write_glue_root(root) -> Path:
    """Write every fixture folder under ``root`` (a small GLUE download).

    Returns:
      ``root``.
    """
    for folder in GLUE_FOLDERS:
        write_folder(root, folder)
    return Path(root)


def write_qqp(root) -> Path:
    """QQP fixture folder under ``root``; returns it."""
    return write_folder(root, "QQP")


def write_mnli(root) -> Path:
    """MNLI fixture folder (train, dev_matched, dev_mismatched, test_matched,
    test_mismatched) under ``root``; returns it."""
    return write_folder(root, "MNLI")


def write_qnli(root) -> Path:
    """QNLI fixture folder under ``root``; returns it."""
    return write_folder(root, "QNLI")


def write_rte(root) -> Path:
    """RTE fixture folder under ``root``; returns it."""
    return write_folder(root, "RTE")


def write_wnli(root) -> Path:
    """WNLI fixture folder under ``root``; returns it."""
    return write_folder(root, "WNLI")


def write_ax(root) -> Path:
    """``root/diagnostic/diagnostic.tsv``; returns the ``diagnostic`` folder."""
    return write_folder(root, "diagnostic")



# ----- the Hugging Face nyu-mll/glue parquet layout ---------------------------------------
# The dataset card, https://huggingface.co/datasets/nyu-mll/glue (README.md, dataset_info),
# written out here on its own, apart from power_bert.tasks, so that the reader is checked
# against the card rather than against itself. Each config is a folder of
# <split>-00000-of-00001.parquet files with the card's sentence columns, ``label`` (the
# card's class integer, -1 on test; a float32 score for stsb) and ``idx`` (int32: the
# 0-based row for train/validation, the GLUE index for test).

# The card's integer of each label string of the GLUE files ("0"/"1" are the card's 0/1).
CARD_LABELS: Dict[str, Optional[Dict[str, int]]] = {
    "cola": {"0": 0, "1": 1},                      # 0 unacceptable, 1 acceptable
    "sst2": {"0": 0, "1": 1},                      # 0 negative, 1 positive
    "mrpc": {"0": 0, "1": 1},                      # 0 not_equivalent, 1 equivalent
    "qqp": {"0": 0, "1": 1},                       # 0 not_duplicate, 1 duplicate
    "stsb": None,                                  # float32 score
    "mnli": {"entailment": 0, "neutral": 1, "contradiction": 2},
    "ax": {"entailment": 0, "neutral": 1, "contradiction": 2},
    "qnli": {"entailment": 0, "not_entailment": 1},
    "rte": {"entailment": 0, "not_entailment": 1},
    "wnli": {"0": 0, "1": 1},                      # 0 not_entailment, 1 entailment
}


class HubFile(NamedTuple):
    """How one GLUE TSV file becomes one parquet file of nyu-mll/glue.

    config, split: the card's config and split name.
    texts: card column -> TSV column.
    label: TSV column of the label (None on test).
    index: TSV column of the test index (None: idx is the row number).
    """
    config: str
    split: str
    texts: Dict[str, int]
    label: Optional[int]
    index: Optional[int]


def _hub_task(config: str, texts: Dict[str, int], label: int, test_texts: Dict[str, int],
              dev: Tuple[str, ...] = ("dev.tsv", "validation")) -> Dict[str, HubFile]:
    return {"train.tsv": HubFile(config, "train", texts, label, None),
            dev[0]: HubFile(config, dev[1], texts, label, None),
            "test.tsv": HubFile(config, "test", test_texts, None, 0)}


_PAIR = {"sentence1": 1, "sentence2": 2}
_MNLI = {"premise": 8, "hypothesis": 9}
# GLUE folder -> TSV file name -> HubFile.
HUB_FILES: Dict[str, Dict[str, HubFile]] = {
    "CoLA": _hub_task("cola", {"sentence": 3}, 1, {"sentence": 1}),
    "SST-2": _hub_task("sst2", {"sentence": 0}, 1, {"sentence": 1}),
    "MRPC": _hub_task("mrpc", {"sentence1": 3, "sentence2": 4}, 0,
                      {"sentence1": 3, "sentence2": 4}),
    "STS-B": _hub_task("stsb", {"sentence1": 7, "sentence2": 8}, 9,
                       {"sentence1": 7, "sentence2": 8}),
    "QQP": _hub_task("qqp", {"question1": 3, "question2": 4}, 5,
                     {"question1": 1, "question2": 2}),
    "MNLI": {"train.tsv": HubFile("mnli", "train", _MNLI, -1, None),
             "dev_matched.tsv": HubFile("mnli", "validation_matched", _MNLI, -1, None),
             "dev_mismatched.tsv": HubFile("mnli", "validation_mismatched", _MNLI, -1, None),
             "test_matched.tsv": HubFile("mnli", "test_matched", _MNLI, None, 0),
             "test_mismatched.tsv": HubFile("mnli", "test_mismatched", _MNLI, None, 0)},
    "QNLI": _hub_task("qnli", {"question": 1, "sentence": 2}, 3,
                      {"question": 1, "sentence": 2}),
    "RTE": _hub_task("rte", _PAIR, 3, _PAIR),
    "WNLI": _hub_task("wnli", _PAIR, 3, _PAIR),
    "diagnostic": {"diagnostic.tsv": HubFile("ax", "test", {"premise": 1, "hypothesis": 2},
                                             None, 0)},
}
HUB_CONFIG_OF = {folder: next(iter(files.values())).config
                 for folder, files in HUB_FILES.items()}


def hub_path(root, config: str, split: str) -> Path:
    """``root/<config>/<split>-00000-of-00001.parquet`` (the hub's one shard)."""
    return Path(root) / config / ("%s-00000-of-00001.parquet" % split)


def write_parquet(path, columns: Dict[str, Sequence], dtypes: Optional[Dict[str, str]] = None
                  ) -> Path:
    """Write columns (name -> values) as one parquet file with pandas and pyarrow.

    Args:
      path: file to write (folders are created).
      columns: column values, all of one length, in column order.
      dtypes: numpy dtype names to cast columns to (e.g. {"idx": "int32"}).

    Returns:
      The path written.
    """
    import pandas as pd

    frame = pd.DataFrame(dict(columns))
    for name, dtype in (dtypes or {}).items():
        frame[name] = frame[name].astype(dtype)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    frame.to_parquet(path, engine="pyarrow", index=False)
    return path


def hub_columns(spec: HubFile, rows: Sequence[Sequence[str]]) -> Dict[str, list]:
    """The card's columns of a GLUE file's data rows (header already dropped)."""
    columns: Dict[str, list] = {name: [row[i] for row in rows] for name, i in spec.texts.items()}
    labels = CARD_LABELS[spec.config]
    if spec.label is None:
        columns["label"] = [-1.0 if labels is None else -1] * len(rows)
    elif labels is None:
        columns["label"] = [float(row[spec.label]) for row in rows]
    else:
        columns["label"] = [labels[row[spec.label]] for row in rows]
    columns["idx"] = (list(range(len(rows))) if spec.index is None
                      else [int(row[spec.index]) for row in rows])
    return columns


def write_hub_file(root, spec: HubFile, rows: Sequence[Sequence[str]]) -> Path:
    """One parquet file of the hub layout from a GLUE file's data rows."""
    return write_parquet(hub_path(root, spec.config, spec.split), hub_columns(spec, rows),
                         {"idx": "int32",
                          "label": "float32" if CARD_LABELS[spec.config] is None else "int64"})


def write_hub_folder(root, folder: str) -> Path:
    """A fixture folder of ``GLUE_FOLDERS`` in the hub layout under ``root``.

    Returns:
      ``root/<config>`` (e.g. ``root/mnli`` for "MNLI", ``root/ax`` for "diagnostic").
    """
    for name, spec in HUB_FILES[folder].items():
        write_hub_file(root, spec, GLUE_FOLDERS[folder][name][1])
    return Path(root) / HUB_CONFIG_OF[folder]


def write_hub_root(root) -> Path:
    """Every fixture folder in the hub layout under ``root``; returns ``root``."""
    for folder in HUB_FILES:
        write_hub_folder(root, folder)
    return Path(root)


def read_tsv_rows(path, header: bool) -> List[List[str]]:
    """A GLUE TSV file's data rows, read as the download script wrote them."""
    import csv

    with open(path, encoding="utf-8-sig", newline="") as handle:
        rows = [row for row in csv.reader(handle, delimiter="\t", quoting=csv.QUOTE_NONE)
                if row]
    return rows[1:] if header else rows


def hub_from_tsv_folder(tsv_folder, root, folder: str) -> Path:
    """Rewrite a GLUE download folder (e.g. the real ``CoLA``) in the hub layout.

    Args:
      tsv_folder: the folder with the GLUE TSV files.
      root: the hub layout's root (``<root>/<config>/...`` is written).
      folder: the GLUE folder name, a key of ``HUB_FILES``.

    Returns:
      ``root/<config>``.
    """
    for name, spec in HUB_FILES[folder].items():
        header = not (folder == "CoLA" and spec.split != "test")  # CoLA train/dev: none
        write_hub_file(root, spec, read_tsv_rows(Path(tsv_folder) / name, header))
    return Path(root) / HUB_CONFIG_OF[folder]
