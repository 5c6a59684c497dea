"""The JSON documents a run writes besides its stage checkpoints
(``checkpoint.StageCheckpoint``), each a dataclass with ``to_json``/``from_json`` and a
format version, and the reader of typed values they share:

  document          type            written by                 read by
  results.json      RunResults      pipeline (stage by stage)  sweep, ablation, results_table
  benchmark.json    BenchmarkResult power_bert.benchmark       sweep, ablation, report
  power_bert.json   ExportMetadata  export (in the SavedModel  rawtext, options, load_onnx,
                                    or ONNX folder)            peers

One name in every document for each quantity: "lambda" (LAMBDA),
"retention_configuration" (l_1..l_L) and "seq_len" (N, the maximum sequence length).
A file of an earlier release's format loads: its ``from_json`` reads the keys it had.
"""
import dataclasses
import json
import os
from typing import ClassVar, Dict, List, Optional, Tuple

from power_bert.errors import ExportError


class JsonFields:
    """Reads typed values out of one JSON object.

    ``fields(key, kind, optional=True)`` returns the value (None when it is absent or
    null and ``optional``; an integer is accepted as a float) and raises ``error`` naming
    ``what`` and the key when the value has another type.
    """

    NAMES = {str: "a string", int: "an integer", float: "a number", bool: "true or false",
             dict: "an object", list: "a list"}

    def __init__(self, document: Dict, what: str, error: type):
        self.document, self.what, self.error = document, what, error

    def __call__(self, key: str, kind: type, optional: bool = True):
        value = self.document.get(key)
        if value is None and optional:
            return None
        kinds = (int, float) if kind is float else kind
        if isinstance(value, kinds) and not (kind in (int, float) and isinstance(value, bool)):
            return float(value) if kind is float else value
        raise self.error("%s: %r must be %s, got %r" % (self.what, key, self.NAMES[kind], value))


def _check_version(document: Dict, readable, what: str, error: type) -> int:
    """The document's format_version (absent: 1), when this release reads it."""
    version = document.get("format_version", 1)
    if version not in readable:
        raise error("%s has format_version %r; this release reads %s"
                    % (what, version, ", ".join(map(str, readable))))
    return version


def _object(document, what: str, error: type) -> Dict:
    if not isinstance(document, dict):
        raise error("%s must be a JSON object, got %s" % (what, type(document).__name__))
    return document


# ----- power_bert.json: the metadata of an export -----------------------------------------
# The files of an export folder, named once (export writes them; rawtext, options and
# load_onnx read them).
METADATA_FILE = "power_bert.json"
VOCAB_FILE = "vocab.txt"
ONNX_FILE = "model.onnx"
SAVED_MODEL_FILE = "saved_model.pb"
ASSETS = "assets"
SAVED_MODEL_METADATA = os.path.join(ASSETS, METADATA_FILE)  # in a SavedModel folder
SAVED_MODEL_FORMAT, ONNX_FORMAT = "power-bert SavedModel", "power-bert ONNX"


@dataclasses.dataclass(frozen=True)
class ExportMetadata:
    """``power_bert.json`` of an export: what the exported model computes and where it
    came from (``assets/power_bert.json`` in a SavedModel, beside ``model.onnx`` in an
    ONNX export).

    Attributes:
      format: ``SAVED_MODEL_FORMAT`` or ``ONNX_FORMAT``.
      power_bert_version: the project's version that exported it.
      task: the task (its labels and head).
      labels: the class labels in output order (None: a regression score).
      output: "probabilities" or "score".
      pair: whether an example is a pair of texts.
      seq_len: N, the longest input in tokens (format 1: "max_seq_len").
      cased: whether the tokenizer keeps case.
      mode: the stage checkpoint's mode ("finetune" or "retrain").
      retention_configuration: l_1..l_L applied (None: every word kept).
      bert_config: the BERT sizes (``BertConfig.to_dict``).
      xla: whether the model part is jit-compiled.
      source_checkpoint: the exported stage checkpoint's weights file.
      source_weights_sha256, vocab_sha256: checksums of its weights and vocabulary.
      epoch, dev_metrics: the checkpoint's epoch and dev metrics.
      signatures: each signature (ONNX: the model file) and its inputs.
      onnx_opset: the ONNX opset (ONNX exports only).
    """
    format: str
    power_bert_version: str
    task: str
    labels: Optional[List[str]]
    output: str
    pair: bool
    seq_len: int
    cased: bool
    mode: str
    retention_configuration: Optional[List[int]]
    bert_config: Dict
    xla: bool
    source_checkpoint: str
    source_weights_sha256: Optional[str] = None
    vocab_sha256: Optional[str] = None
    epoch: Optional[int] = None
    dev_metrics: Optional[Dict[str, float]] = None
    signatures: Dict[str, List[str]] = dataclasses.field(default_factory=dict)
    onnx_opset: Optional[int] = None

    FORMAT_VERSION: ClassVar[int] = 2  # 1: the sequence length as "max_seq_len"
    READABLE_VERSIONS: ClassVar[Tuple[int, ...]] = (1, 2)

    def to_json(self) -> Dict:
        document = {"format_version": self.FORMAT_VERSION}
        document.update(dataclasses.asdict(self))
        if self.onnx_opset is None:
            del document["onnx_opset"]
        return document

    @classmethod
    def from_json(cls, document, source: str) -> "ExportMetadata":
        """Reads the metadata of this release or an earlier one.

        Raises:
          ExportError: not an object, another format version, or a value of the wrong
            type, naming ``source`` and the key.
        """
        what = "export metadata %s" % source
        document = _object(document, what, ExportError)
        version = _check_version(document, cls.READABLE_VERSIONS, what, ExportError)
        field = JsonFields(document, what, ExportError)
        return cls(
            format=field("format", str, False),
            power_bert_version=field("power_bert_version", str, False),
            task=field("task", str, False), labels=field("labels", list),
            output=field("output", str, False), pair=field("pair", bool, False),
            seq_len=field("seq_len" if version >= 2 else "max_seq_len", int, False),
            cased=field("cased", bool, False), mode=field("mode", str, False),
            retention_configuration=field("retention_configuration", list),
            bert_config=field("bert_config", dict, False), xla=field("xla", bool, False),
            source_checkpoint=field("source_checkpoint", str, False),
            source_weights_sha256=field("source_weights_sha256", str),
            vocab_sha256=field("vocab_sha256", str), epoch=field("epoch", int),
            dev_metrics=field("dev_metrics", dict),
            signatures=field("signatures", dict) or {}, onnx_opset=field("onnx_opset", int))

    def write(self, folder: str):
        """Writes ``folder/power_bert.json``."""
        with open(os.path.join(folder, METADATA_FILE), "w", encoding="utf-8") as writer:
            json.dump(self.to_json(), writer, indent=2)
            writer.write("\n")

    @classmethod
    def read(cls, path: str) -> "ExportMetadata":
        """Reads a ``power_bert.json`` file.

        Raises:
          ExportError: the file cannot be read, is not JSON or not export metadata.
        """
        try:
            with open(path, encoding="utf-8") as reader:
                document = json.load(reader)
        except (OSError, ValueError) as e:
            raise ExportError("cannot read the export metadata %s: %s"
                              % (path, getattr(e, "strerror", None) or e)) from None
        return cls.from_json(document, path)


def export_format(path: str) -> Optional[str]:
    """The "format" a ``power_bert.json`` file declares (None: absent, unreadable or
    none): how an earlier export is recognised, whatever its version."""
    try:
        with open(path, encoding="utf-8") as reader:
            document = json.load(reader)
    except (OSError, ValueError):
        return None
    return document.get("format") if isinstance(document, dict) else None
