"""Prediction on raw text (``power-bert predict --INPUT``): sentences from a file or
standard input, a stage checkpoint or an exported SavedModel, predictions as TSV or
JSON lines.

Input formats (``--INPUT_FORMAT``, else from the file's extension; standard input
defaults to ``txt``):

* ``tsv`` (``.tsv``) and ``csv`` (``.csv``): a header row naming the columns; the texts
  are in ``sentence`` (and ``sentence2`` for a pair task), other columns are ignored.
  TSV is read as the GLUE files are: no quoting (``"No" he said`` keeps its quotes, and a
  lone quote is a character like any other). CSV is read with Python's default dialect,
  strictly: a quoted field that is never closed is refused, naming the line it opens on.
* ``jsonl`` (``.jsonl``, ``.json``): one JSON object per line with string ``sentence``
  (and ``sentence2``); blank lines are skipped.
* ``txt`` (``.txt``): one sentence per line, blank lines skipped (single-sentence
  tasks only).

In every format a line ends at LF, CRLF or a lone CR (old Mac files), and a blank line
is one that holds nothing but whitespace (Unicode's, as ``str.isspace``) and zero-width
characters (``ZERO_WIDTH``, the byte-order mark included); a table row is blank when
every cell is.

Output formats (``--OUTPUT_FORMAT``, else ``jsonl`` for an ``.jsonl``/``.json`` file and
``tsv`` otherwise): one row per input row, in input order, with the text(s), the label
and the probability of every label, or the score for a regression task (STS-B: the
model's output, not clipped, as the SavedModel gives it). In TSV a tab, newline or
carriage return inside a text is written as a space (the tokeniser treats them as spaces
anyway); JSON lines keep the texts exactly.

Both backends tokenise as training does (``power_bert.tokenization``) and pad every
batch to its longest example only (dynamic padding), so they give the same predictions,
and the same as the GLUE test-set path of the same checkpoint. The batches take the rows
sorted by length (``runtime.INFERENCE_SORT_BY_LENGTH``): by token length, the rows
tokenised first a chunk at a time (a SavedModel by its ``tokenize`` signature; one
exported by an earlier version, without it, by length in characters, ``text_order``);
the output keeps the input order.
"""
import csv
import io
import json
import os
import re
import sys
import time
from typing import Callable, List, Optional, Sequence, Tuple

import numpy as np

from power_bert.documents import SAVED_MODEL_FILE, SAVED_MODEL_METADATA, ExportMetadata
from power_bert.errors import DataError, UsageError
from power_bert.runtime import INFERENCE_SORT_BY_LENGTH

INPUT_FORMATS = ("tsv", "csv", "jsonl", "txt")
OUTPUT_FORMATS = ("tsv", "jsonl")
EXTENSIONS = {".tsv": "tsv", ".csv": "csv", ".jsonl": "jsonl", ".json": "jsonl", ".txt": "txt"}
STDIO = "-"
TEXT_COLUMNS = ("sentence", "sentence2")  # (first, second) text of a row
SAVED_MODEL_FILES = (SAVED_MODEL_FILE, SAVED_MODEL_METADATA)  # of an export folder
# Invisible characters that are not whitespace to str.isspace: zero-width space,
# non-joiner and joiner, word joiner, byte-order mark (zero-width no-break space), and the
# Mongolian vowel separator (a space before Unicode 6.3).
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e"
_NO_ZERO_WIDTH = {ord(c): None for c in ZERO_WIDTH}
LINE_BREAK = re.compile(r"\r\n|\r|\n")  # what ends a line of the input
_LINE_BREAK_BYTES = re.compile(rb"\r\n|\r|\n")

Texts = Tuple[List[str], Optional[List[str]]]  # (first texts, second texts or None)


def input_format(path: str, given: Optional[str]) -> str:
    """The input's format: ``given`` (``--INPUT_FORMAT``), else the file's extension,
    else ``txt`` for standard input.

    Raises:
      UsageError: an unknown format, or a file whose extension names none.
    """
    if given is not None:
        if given.lower() not in INPUT_FORMATS:
            raise UsageError("--INPUT_FORMAT must be one of %s, got %r"
                             % (", ".join(INPUT_FORMATS), given))
        return given.lower()
    if path == STDIO:
        return "txt"
    found = EXTENSIONS.get(os.path.splitext(path)[1].lower())
    if found is None:
        raise UsageError("--INPUT %s: cannot tell the format from its extension (%s); give "
                         "--INPUT_FORMAT %s" % (path, ", ".join(EXTENSIONS),
                                                "|".join(INPUT_FORMATS)))
    return found


def output_format(path: Optional[str], given: Optional[str]) -> str:
    """The output's format: ``given`` (``--OUTPUT_FORMAT``), else ``jsonl`` for a
    ``.jsonl``/``.json`` file and ``tsv`` otherwise (standard output included).

    Raises:
      UsageError: an unknown format.
    """
    if given is not None:
        if given.lower() not in OUTPUT_FORMATS:
            raise UsageError("--OUTPUT_FORMAT must be one of %s, got %r"
                             % (", ".join(OUTPUT_FORMATS), given))
        return given.lower()
    if path and path != STDIO and EXTENSIONS.get(os.path.splitext(path)[1].lower()) == "jsonl":
        return "jsonl"
    return "tsv"


def is_saved_model(path: str) -> bool:
    """A folder written by ``power-bert export``."""
    return all(os.path.isfile(os.path.join(path, f)) for f in SAVED_MODEL_FILES)


def read_saved_model_metadata(path: str) -> ExportMetadata:
    """``assets/power_bert.json`` of an exported SavedModel (task, labels, pair, ...).

    Raises:
      ExportError: the file cannot be read or is not export metadata.
    """
    return ExportMetadata.read(os.path.join(path, SAVED_MODEL_METADATA))


# ----- reading ---------------------------------------------------------------------------
def read_texts(path: str, fmt: str, pair: bool, stdin=None) -> Texts:
    """The texts of an input file (or of standard input for ``-``).

    Args:
      path: the file, or ``-`` for standard input.
      fmt: one of ``INPUT_FORMATS``.
      pair: whether the task takes a second text (``sentence2``).
      stdin: a binary stream read for ``-`` (default ``sys.stdin.buffer``).

    Returns:
      (first texts, second texts or None), in input order.

    Raises:
      DataError: naming the input and line: not UTF-8, a JSON line that does not parse or
        is not an object of strings, a missing column or key, a pair task's row without
        ``sentence2``, ``txt`` for a pair task, or no rows at all.
    """
    name = "standard input" if path == STDIO else path
    if fmt == "txt" and pair:
        raise DataError("%s: a pair task needs two texts per row; give them as tsv, csv or "
                        "jsonl with columns %s (--INPUT_FORMAT)" % (name, " and ".join(
                            TEXT_COLUMNS)))
    if path == STDIO:
        raw = (stdin or sys.stdin.buffer).read()
    else:
        try:
            with open(path, "rb") as reader:
                raw = reader.read()
        except OSError as e:
            raise DataError("--INPUT %s: %s" % (path, e.strerror or e)) from None
    text = _decode(raw, name)
    columns = TEXT_COLUMNS if pair else TEXT_COLUMNS[:1]
    if fmt == "txt":
        rows = [[value] for _, value in _lines(text) if not is_blank(value)]
    elif fmt == "jsonl":
        rows = _json_rows(text, name, columns)
    elif fmt == "tsv":
        rows = _table_rows(text, name, columns, delimiter="\t", quoting=csv.QUOTE_NONE)
    else:
        rows = _table_rows(text, name, columns, delimiter=",", quoting=csv.QUOTE_MINIMAL,
                           strict=True)
    if not rows:
        raise DataError("%s: no %s to predict" % (name, "rows" if fmt != "txt" else "sentences"))
    first = [row[0] for row in rows]
    return first, ([row[1] for row in rows] if pair else None)


def is_blank(text: str) -> bool:
    """Whether ``text`` holds nothing but whitespace and ``ZERO_WIDTH`` characters."""
    return not text.translate(_NO_ZERO_WIDTH).strip()


def _decode(raw: bytes, name: str) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError as e:
        breaks = list(_LINE_BREAK_BYTES.finditer(raw, 0, e.start))
        line_start = breaks[-1].end() if breaks else 0
        raise DataError("%s, line %d: not valid UTF-8 (byte %d of the line: %s)"
                        % (name, len(breaks) + 1, e.start - line_start + 1, e.reason)
                        ) from None


def _lines(text: str):
    """(1-based line number, line without its line break): LF, CRLF and a lone CR end a
    line (``LINE_BREAK``, as the csv reader and ``_decode`` count lines); other Unicode
    line breaks (U+2028, form feed, ...) stay inside the text."""
    for number, line in enumerate(LINE_BREAK.split(text), 1):
        yield number, line


def _json_rows(text: str, name: str, columns: Sequence[str]) -> List[List[str]]:
    rows = []
    for number, line in _lines(text):
        if is_blank(line):
            continue
        try:
            row = json.loads(line)
        except ValueError as e:
            raise DataError("%s, line %d: not a JSON object (%s)" % (name, number, e)) from None
        if not isinstance(row, dict):
            raise DataError("%s, line %d: expected a JSON object with %s, got %s"
                            % (name, number, _names(columns), type(row).__name__))
        for column in columns:
            if not isinstance(row.get(column), str):
                raise DataError("%s, line %d: %s %r (expected a string)" % (
                    name, number, "no key" if column not in row else "a non-string", column))
        rows.append([row[column] for column in columns])
    return rows


def _table_rows(text: str, name: str, columns: Sequence[str], delimiter: str,
                quoting: int, strict: bool = False) -> List[List[str]]:
    """The text columns of every row after the header (TSV: ``quoting`` QUOTE_NONE).

    Raises:
      DataError: naming the line: no header, a header without the columns, a row with
        fewer cells, or (``strict``, CSV) a quote that is never closed (the line where
        its field starts) or another csv error.
    """
    # newline="": the reader ends lines at LF, CRLF and a lone CR, and keeps line breaks
    # inside quoted fields.
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, quoting=quoting,
                        strict=strict)
    header, where, rows = None, None, []
    starts = 1  # the line the next row starts on
    try:
        for row in reader:
            starts = reader.line_num + 1
            if all(is_blank(cell) for cell in row):
                continue  # blank lines
            if header is None:
                header = [cell.translate(_NO_ZERO_WIDTH).strip() for cell in row]
                missing = [c for c in columns if c not in header]
                if missing:
                    raise DataError("%s, line %d: the header %s has no column %s (the texts "
                                    "are read from %s)" % (name, reader.line_num, header,
                                                           _names(missing), _names(columns)))
                where = [header.index(c) for c in columns]
                continue
            short = [c for c, i in zip(columns, where) if i >= len(row)]
            if short:
                raise DataError("%s, line %d: %d columns, no %s (the header has %d)"
                                % (name, reader.line_num, len(row), _names(short),
                                   len(header)))
            rows.append([row[i] for i in where])
    except csv.Error as e:
        if str(e) == "unexpected end of data":  # (strict) the file ended inside quotes
            raise DataError("%s, line %d: unterminated quote: the quoted field that starts on "
                            "this line is never closed (a quote inside a quoted field is "
                            "written twice, \"\")" % (name, starts)) from None
        raise DataError("%s, line %d: %s" % (name, reader.line_num, e)) from None
    if header is None:
        raise DataError("%s: empty; expected a header row with %s" % (name, _names(columns)))
    return rows


def _names(columns: Sequence[str]) -> str:
    return " and ".join(repr(c) for c in columns)


# ----- predicting ------------------------------------------------------------------------
class TokenisedRows:
    """What both backends share: ``predict_rows`` tokenises the rows a chunk at a time
    and batches each chunk by real token length. A backend gives ``_encode(first,
    second)`` -> ``[token_ids, segment_ids]`` (int ``[N, T]``, padded with 0) and
    ``_run(token_ids, segment_ids)`` -> ``[B, C]`` (``[B, 1]`` for a score)."""

    # predict_rows tokenises this many batches of rows at a time (memory stays bounded
    # on long inputs) and sorts each such chunk by token length
    CHUNK_BATCHES = 64
    # whether predict_rows can be used (an export without the tokenize signature cannot)
    tokenises = True

    @classmethod
    def row_order(cls, x, batch_size: int, sort: bool) -> Optional[np.ndarray]:
        """The order ``predict_rows`` batches the tokenised rows ``x`` in: each chunk of
        ``CHUNK_BATCHES`` batches sorted by token length (``inference.batch_order``),
        chunk after chunk; None (input order) without ``sort``."""
        from power_bert.inference import batch_order
        if not sort:
            return None
        chunk = batch_size * cls.CHUNK_BATCHES
        orders = [start + batch_order([a[start:start + chunk] for a in x], True, True)
                  for start in range(0, len(x[0]), chunk)]
        return np.concatenate(orders) if orders else np.arange(0)

    def predict_rows(self, texts: Texts, batch_size: int,
                     progress: Optional[Callable[[int, int], None]] = None,
                     sort: bool = INFERENCE_SORT_BY_LENGTH) -> np.ndarray:
        """All rows in input order (``predict_texts`` for this backend): tokenised once,
        ``CHUNK_BATCHES`` batches at a time, and with ``sort`` each chunk's rows batched
        by their real token length (``row_order``), which sorts better than the length
        in characters."""
        from power_bert.inference import in_input_order, prepare_batches
        first, second = texts
        chunk, outputs, done = batch_size * self.CHUNK_BATCHES, [], 0
        for start in range(0, len(first), chunk):
            stop = min(start + chunk, len(first))
            x = self._encode(first[start:stop], None if second is None else second[start:stop])
            order = self.row_order(x, batch_size, sort)
            part = []
            for tokens, segments in prepare_batches(x, batch_size, True, 1, order):
                part.append(self._run(tokens, segments))
                done += len(tokens)
                if progress is not None:
                    progress(done, len(first))
            outputs.append(in_input_order(np.concatenate(part, axis=0), order))
        out = np.concatenate(outputs, axis=0)
        return out[:, 0] if out.shape[-1] == 1 else out

    def _encode(self, first: Sequence[str], second: Optional[Sequence[str]]):
        raise NotImplementedError

    def _run(self, tokens, segments) -> np.ndarray:
        raise NotImplementedError


class SavedModelBackend(TokenisedRows):
    """An exported SavedModel: ``serving_default`` (strings in, probabilities or scores
    out) for a batch, and for ``predict_rows`` its ``tokenize`` and ``token_ids``
    signatures (the same tokeniser and model). Needs TensorFlow and tensorflow_text
    only."""

    def __init__(self, path: str):
        from power_bert.backend import tf
        import tensorflow_text  # noqa: F401  (registers the tokeniser's ops)
        self.metadata = read_saved_model_metadata(path)
        self._loaded = tf.saved_model.load(path)
        signatures = self._loaded.signatures
        self._serve = signatures["serving_default"]
        self._by_ids = signatures["token_ids"]
        # exports of earlier versions have no tokenize signature: predict_texts sorts
        # their rows by length in characters (text_order) instead
        self._tokenize = signatures["tokenize"] if "tokenize" in signatures else None
        self.tokenises = self._tokenize is not None
        self._tf = tf

    def _texts(self, first: Sequence[str], second: Optional[Sequence[str]]):
        texts = {"sentence": self._tf.constant(list(first), self._tf.string)}
        if second is not None:
            texts["sentence2"] = self._tf.constant(list(second), self._tf.string)
        return texts

    @staticmethod
    def _outputs(out) -> np.ndarray:  # a signature's probabilities [B, C] or scores [B]
        return (out["probabilities"] if "probabilities" in out else out["score"]).numpy()

    def __call__(self, first: Sequence[str], second: Optional[Sequence[str]]) -> np.ndarray:
        return self._outputs(self._serve(**self._texts(first, second)))

    def _encode(self, first: Sequence[str], second: Optional[Sequence[str]]):
        ids = self._tokenize(**self._texts(first, second))
        return [ids["input_ids"].numpy(), ids["segment_ids"].numpy()]

    def _run(self, tokens, segments) -> np.ndarray:
        out = self._outputs(self._by_ids(input_ids=self._tf.constant(tokens),
                                         segment_ids=self._tf.constant(segments)))
        return out.reshape(len(tokens), -1)  # [B, C], or [B, 1] for a score


class CheckpointBackend(TokenisedRows):
    """A Keras model rebuilt from a stage checkpoint (built for any length), fed by the
    training path's tokeniser; each batch cut to its longest example."""

    def __init__(self, model, parser, xla: bool = False):
        from power_bert import inference
        self._parser = parser
        self._infer = inference.inference_function(model, xla)
        self._model = model  # the inference function holds it weakly

    def _encode(self, first: Sequence[str], second: Optional[Sequence[str]]):
        from power_bert.data import Example
        examples = [Example(str(i), a, None if second is None else second[i], None)
                    for i, a in enumerate(first)]
        encoded = self._parser.encode_examples(examples)
        return [encoded.token_ids, encoded.segment_ids]

    def _run(self, tokens, segments) -> np.ndarray:
        from power_bert.backend import tf
        return self._infer(tf.constant(tokens), tf.constant(segments)).numpy()  # [B, C]

    def __call__(self, first: Sequence[str], second: Optional[Sequence[str]]) -> np.ndarray:
        from power_bert.inference import prepare_batches
        [(tokens, segments)] = prepare_batches(self._encode(first, second), len(first), True)
        out = self._run(tokens, segments)
        return out[:, 0] if out.shape[-1] == 1 else out


def text_order(texts: Texts) -> np.ndarray:
    """The permutation that sorts rows by their length in characters (both texts of a
    pair), shortest first, equal lengths in input order: a stand-in for the token count,
    known before tokenisation (for a backend that cannot tokenise first: a SavedModel
    exported without the ``tokenize`` signature, or a plain function)."""
    first, second = texts
    lengths = [len(a) + (0 if second is None else len(second[i])) for i, a in enumerate(first)]
    return np.argsort(np.asarray(lengths, dtype=np.int64), kind="stable")


def texts_in_order(texts: Texts, order: Optional[np.ndarray]) -> Texts:
    """The rows of ``texts`` in ``order`` (None: unchanged)."""
    first, second = texts
    if order is None:
        return texts
    return [first[i] for i in order], None if second is None else [second[i] for i in order]


def predict_texts(backend: Callable, texts: Texts, batch_size: int,
                  progress: Optional[Callable[[int, int], None]] = None,
                  sort: bool = INFERENCE_SORT_BY_LENGTH) -> np.ndarray:
    """Predictions of all texts in input order, ``batch_size`` at a time; with ``sort``
    the batches take the rows sorted by length (a ``TokenisedRows`` backend by token
    length, ``predict_rows``; any other by length in characters, ``text_order``), so that
    each batch, cut to its longest example, pads less.

    Returns:
      Probabilities ``[N, C]``, or scores ``[N]`` for a regression model.
    """
    from power_bert.inference import in_input_order
    if isinstance(backend, TokenisedRows) and backend.tokenises:
        return backend.predict_rows(texts, batch_size, progress, sort)
    order = text_order(texts) if sort else None
    first, second = texts_in_order(texts, order)
    outputs = []
    for start in range(0, len(first), batch_size):
        stop = min(start + batch_size, len(first))
        outputs.append(np.asarray(backend(first[start:stop],
                                          None if second is None else second[start:stop])))
        if progress is not None:
            progress(stop, len(first))
    return in_input_order(np.concatenate(outputs, axis=0), order)


class Progress:
    """A one-line progress bar on standard error (never on standard output, which may
    hold the predictions), redrawn at most every ``interval`` seconds and at the end."""

    def __init__(self, stream=None, interval: float = 0.5, width: int = 30):
        self.stream = stream or sys.stderr
        self.interval, self.width = interval, width
        self.started = self.shown = time.time()

    def __call__(self, done: int, total: int):
        now = time.time()
        if done < total and now - self.shown < self.interval:
            return
        self.shown = now
        filled = self.width * done // max(total, 1)
        self.stream.write("\r[%s%s] %d/%d examples, %.1fs" % (
            "=" * filled, "." * (self.width - filled), done, total, now - self.started))
        if done >= total:
            self.stream.write("\n")
        self.stream.flush()


# ----- writing ---------------------------------------------------------------------------
def format_rows(task, texts: Texts, predictions: np.ndarray, fmt: str) -> str:
    """The output file's text: a TSV with a header, or one JSON object per line.

    Columns: ``sentence`` (``sentence2``), then ``label`` and ``prob_<label>`` for each
    label (JSON: ``probabilities`` as an object label -> probability), or ``score``.
    """
    first, second = texts
    columns = list(TEXT_COLUMNS if second is not None else TEXT_COLUMNS[:1])
    rows = [[a] if second is None else [a, second[i]] for i, a in enumerate(first)]
    if task.is_regression:
        values = np.asarray(predictions, np.float64).reshape(-1)
        records = [{"score": float(v)} for v in values]
    else:
        values = np.asarray(predictions, np.float64)
        records = [{"label": task.labels[int(np.argmax(p))],
                    "probabilities": {label: float(x) for label, x in zip(task.labels, p)}}
                   for p in values]
    if fmt == "jsonl":
        return "".join(json.dumps(dict(zip(columns, row), **record), ensure_ascii=False) + "\n"
                       for row, record in zip(rows, records))
    if task.is_regression:
        header = columns + ["score"]
        cells = [["%.6f" % r["score"]] for r in records]
    else:
        header = columns + ["label"] + ["prob_%s" % label for label in task.labels]
        cells = [[r["label"]] + ["%.6f" % r["probabilities"][label] for label in task.labels]
                 for r in records]
    lines = ["\t".join(header)] + ["\t".join([_tsv_cell(t) for t in row] + more)
                                   for row, more in zip(rows, cells)]
    return "\n".join(lines) + "\n"


def _tsv_cell(text: str) -> str:
    return text.replace("\t", " ").replace("\r", " ").replace("\n", " ")


def write_output(path: Optional[str], content: str, stdout=None):
    """Writes the predictions to ``path`` atomically (a temporary file renamed into
    place: an interrupted run leaves no partial file), or to standard output.

    Raises:
      UsageError: the file cannot be written.
    """
    if not path or path == STDIO:
        stream = stdout or sys.stdout
        stream.write(content)
        stream.flush()
        return
    from power_bert.outputs import write_bytes_atomically
    try:
        write_bytes_atomically(path, content.encode("utf-8"))
    except OSError as e:
        raise UsageError("--OUTPUT: cannot write %s: %s" % (path, e.strerror or e)) from None
