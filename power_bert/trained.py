"""Opening a trained model: the one way eval, predict, export, elimination and the
benchmark get a model they can use.

A trained model is a stage checkpoint (``<stage>.hdf5`` + ``<stage>.json``, a
``checkpoint.StageCheckpoint``) or, for eval and predict with ``--MODEL_FORMAT CKPT``, a
Google checkpoint with its classifier and ``bert_config.json``. ``open_trained`` (and
``open_google_checkpoint``) check it against what it will be used for before any
model is built, in this order:

  1. the metadata can be read, and the weights are those it was written with;
  2. it was trained on the task whose labels the data has (the data's own, or for a
     task that borrows another's labels, as AX borrows MNLI-m's, that task);
  3. it is not a configuration-search model (Soft-Extract layers), unless allowed;
  4. its casing is the one asked for (``--CASED``), where one is asked for;
  5. the vocabulary (``--VOCAB_PATH``, or the one the checkpoint records) fits its
     embedding table and is the one it was trained with (checksum, where recorded);
  6. ``--RETENTION_CONFIG`` (valid for the model's length and encoders) and
     ``--WORD_SELECTION`` are applied (``apply_overrides``).

Every problem is raised as the caller's error class (``UsageError``, ``BenchmarkError``,
``ExportError``: a ``PowerBertError``, one ``error: ...`` line), naming the model.
TensorFlow is first imported by ``TrainedModel.load``.
"""
import dataclasses
import os
from typing import Optional, Sequence, Type, Union

from power_bert.checkpoint import StageCheckpoint
from power_bert.errors import CheckpointError, DataError, PowerBertError, UsageError
from power_bert.retention import WORD_SELECTIONS, parse_retention_configuration
from power_bert.tasks import TaskSpec, get_task

Retention = Union[str, Sequence[int]]


@dataclasses.dataclass(frozen=True)
class TrainedModel:
    """A trained model, checked against its use; ``load`` builds it with its weights.

    Attributes:
      checkpoint: what rebuilds it, the overrides applied (``weights_path`` None for a
        Google checkpoint).
      task: the task of the data it will predict (--TASK, or the model's own).
      vocab_path: the vocabulary to tokenise with (checked).
      what: how messages name it ("model out/retrain.hdf5", "--BASELINE ...").
      google_checkpoint: the Google checkpoint the weights come from (MODEL_FORMAT
        CKPT), or None.
    """
    checkpoint: StageCheckpoint
    task: TaskSpec
    vocab_path: str
    what: str
    google_checkpoint: Optional[str] = None

    @property
    def seq_len(self) -> int:
        return self.checkpoint.seq_len

    @property
    def cased(self) -> bool:
        return bool(self.checkpoint.cased)

    def load(self, dynamic: bool = False, name: str = "PoWER-BERT", inference: bool = True):
        """The Keras model with its weights: inputs of exactly ``seq_len`` tokens, or with
        ``dynamic`` of any length up to it; by default a model that only predicts
        (``model.build_model``'s ``inference``)."""
        if self.google_checkpoint is None:
            return self.checkpoint.load_model(dynamic=dynamic, name=name, inference=inference)
        from power_bert import google_ckpt
        model = self.checkpoint.build(dynamic=dynamic, name=name, inference=inference)
        google_ckpt.load_google_checkpoint(model, self.checkpoint.config,
                                           self.google_checkpoint, load_classifier="required")
        return model


def read_checkpoint(path: str, flag: Optional[str] = None,
                    error: Type[PowerBertError] = UsageError) -> StageCheckpoint:
    """``StageCheckpoint.load(path)``, its problems raised as ``error`` (prefixed with
    ``flag`` when given: "--BASELINE: model weights not found: ...")."""
    try:
        return StageCheckpoint.load(path)
    except CheckpointError as e:
        raise error("%s: %s" % (flag, e) if flag else str(e)) from None


def model_name(checkpoint: StageCheckpoint, flag: Optional[str] = None) -> str:
    """How messages name a checkpoint: "model out/retrain.hdf5", or with the flag that
    gave it, "--POWER out/retrain.hdf5"."""
    return "%s %s" % (flag or "model", checkpoint.weights_path)


def data_task(checkpoint: StageCheckpoint, task: Union[None, str, TaskSpec], what: str,
              error: Type[PowerBertError] = UsageError) -> TaskSpec:
    """The task of the data (``task``, or the model's own when None); the model must
    have been trained on the task whose labels that data has."""
    try:
        model_task = get_task(checkpoint.task)
    except ValueError as e:
        raise error("%s: %s" % (what, e)) from None
    if task is None:
        return model_task
    if not isinstance(task, TaskSpec):
        try:
            task = get_task(task)
        except ValueError as e:
            raise error("--TASK: %s" % e) from None
    label_task = get_task(task.label_task) if task.label_task else task
    if label_task.name != model_task.name:
        raise error("%s was trained on task %s; --TASK %s needs a %s model"
                    % (what, model_task.name, task.name, label_task.name))
    return task


def check_mode_and_casing(checkpoint: StageCheckpoint, what: str, cased: Optional[bool] = None,
                          allow_search: bool = False,
                          error: Type[PowerBertError] = UsageError):
    """Refuses a configuration-search model (unless ``allow_search``) and, when
    ``cased`` is given, a model trained with the other casing."""
    if checkpoint.mode == "search" and not allow_search:
        raise error("%s is a configuration-search model (Soft-Extract layers); use the "
                    "fine-tuned or re-trained model (finetune.hdf5, retrain.hdf5)" % what)
    if cased is not None and bool(checkpoint.cased) != bool(cased):
        raise error("%s was trained %s; %s --CASED" % (
            what, "cased" if checkpoint.cased else "uncased",
            "add" if checkpoint.cased else "drop"))


def vocabulary(checkpoint: StageCheckpoint, vocab_path: Optional[str], what: str,
               error: Type[PowerBertError] = UsageError, sha256: Optional[str] = None) -> str:
    """The vocabulary to tokenise with: ``vocab_path`` (--VOCAB_PATH) or the one the
    checkpoint records. It must fit the embedding table (no more entries than
    vocab_size) and be the one the model was trained with (checksum, where recorded).

    Args:
      sha256: the vocabulary's checksum, when the caller has it (several models).
    """
    from power_bert.data import check_vocab
    given = vocab_path is not None
    if not given:
        vocab_path = checkpoint.vocab_path
        if not vocab_path:
            raise error("%s does not record its vocabulary; give --VOCAB_PATH" % what)
        if not os.path.isfile(vocab_path):
            raise error("vocabulary not found: %s (recorded with %s; give --VOCAB_PATH)"
                        % (vocab_path, what))
    try:
        check_vocab(vocab_path, checkpoint.config.vocab_size, what)
        checkpoint.check_vocab(vocab_path, sha256)
    except (DataError, CheckpointError) as e:
        raise error("%s%s" % ("--VOCAB_PATH: " if given else "", e)) from None
    return vocab_path


def apply_overrides(checkpoint: StageCheckpoint,
                    retention_configuration: Optional[Retention] = None,
                    word_selection: Optional[str] = None, seed: int = 0,
                    error: Type[PowerBertError] = UsageError) -> StageCheckpoint:
    """The one place --RETENTION_CONFIG and --WORD_SELECTION change a trained model.

    Args:
      retention_configuration: l_1..l_L (a sequence, or "64,32,..." as typed), or None:
        the model then drops words as it was trained to. Must fit the model's length and
        encoders.
      word_selection: one of ``retention.WORD_SELECTIONS``, or None: the model's own.
      seed: the seed of random word selection (--SEED), with ``word_selection``.

    Returns:
      The checkpoint to build: with a retention configuration, a "retrain"-mode model
      (hard elimination) on the same weights.
    """
    if retention_configuration is not None:
        try:
            if isinstance(retention_configuration, str):
                retention_configuration = parse_retention_configuration(retention_configuration)
            checkpoint = checkpoint.with_retention(retention_configuration)
        except (ValueError, CheckpointError) as e:  # (RetentionConfigError is a ValueError)
            raise error("--RETENTION_CONFIG: %s" % e) from None
    if word_selection is not None:
        if word_selection not in WORD_SELECTIONS:
            raise error("--WORD_SELECTION must be one of %s, got %r"
                        % (", ".join(WORD_SELECTIONS), word_selection))
        checkpoint = dataclasses.replace(checkpoint, word_selection=word_selection,
                                         selection_seed=seed)
    return checkpoint


def check_trained(checkpoint: StageCheckpoint, what: str, task: Union[None, str, TaskSpec] = None,
                  vocab_path: Optional[str] = None, cased: Optional[bool] = None,
                  allow_search: bool = False, error: Type[PowerBertError] = UsageError,
                  vocab_sha256: Optional[str] = None) -> TrainedModel:
    """Checks a stage checkpoint as read (steps 2-5 of the module's list).

    Returns:
      The ``TrainedModel``, no override applied.
    """
    task_spec = data_task(checkpoint, task, what, error)
    check_mode_and_casing(checkpoint, what, cased, allow_search, error)
    vocab_path = vocabulary(checkpoint, vocab_path, what, error, vocab_sha256)
    return TrainedModel(checkpoint, task_spec, vocab_path, what)


def open_trained(path: str, flag: Optional[str] = None,
                 task: Union[None, str, TaskSpec] = None, vocab_path: Optional[str] = None,
                 cased: Optional[bool] = None,
                 retention_configuration: Optional[Retention] = None,
                 word_selection: Optional[str] = None, seed: int = 0,
                 allow_search: bool = False, error: Type[PowerBertError] = UsageError,
                 vocab_sha256: Optional[str] = None) -> TrainedModel:
    """Opens the stage checkpoint at ``path`` and checks it for its use.

    Args:
      path: the stage's ``.hdf5`` or ``.json`` (or their common prefix).
      flag: the flag that gave ``path`` ("--BASELINE"), for the messages; None: "model".
      task: the task of the data (--TASK); None: the model's own.
      vocab_path: --VOCAB_PATH; None: the one the checkpoint records.
      cased: the casing asked for (--CASED); None: the model's own.
      retention_configuration, word_selection, seed: the overrides (``apply_overrides``).
      allow_search: accept a configuration-search model.
      error: the error class the caller's command raises.
      vocab_sha256: the vocabulary's checksum, when already computed.

    Raises:
      error: anything in the module's list, naming the model.
    """
    checkpoint = read_checkpoint(path, flag, error)
    trained = check_trained(checkpoint, model_name(checkpoint, flag), task,
                            vocab_path, cased, allow_search, error, vocab_sha256)
    return dataclasses.replace(trained, checkpoint=apply_overrides(
        checkpoint, retention_configuration, word_selection, seed, error))


def open_google_checkpoint(checkpoint_path: str, bert_config_path: str, task: TaskSpec,
                           vocab_path: str, cased: bool,
                           retention_configuration: Optional[Retention] = None,
                           word_selection: Optional[str] = None, seed: int = 0,
                           error: Type[PowerBertError] = UsageError) -> TrainedModel:
    """A Google checkpoint with its classifier (MODEL_FORMAT CKPT) as a fine-tuned model
    of ``task`` at the task's length; the overrides applied. Its classifier is checked
    when ``load`` reads it (``google_ckpt.load_google_checkpoint``)."""
    from power_bert.config import BertConfig
    label_task = get_task(task.label_task) if task.label_task else task
    checkpoint = StageCheckpoint(
        config=BertConfig.from_json_file(bert_config_path), task=label_task.name,
        num_labels=label_task.num_labels, seq_len=task.seq_len, mode="finetune",
        cased=cased)
    what = "checkpoint %s" % checkpoint_path
    vocabulary(checkpoint, vocab_path, what, error)
    applied = apply_overrides(checkpoint, retention_configuration, word_selection, seed, error)
    return TrainedModel(applied, task, vocab_path, what, google_checkpoint=checkpoint_path)


__all__ = ["TrainedModel", "read_checkpoint", "model_name", "data_task", "check_mode_and_casing",
           "vocabulary", "apply_overrides", "check_trained", "open_trained",
           "open_google_checkpoint"]
