"""options.validate: the task table's reference hyper-parameters fill what is not given,
and the run says which values it used."""
import dataclasses
import json

import pytest

from power_bert.errors import UsageError
from power_bert.options import ValidOptions, validate
from power_bert.tasks import DEFAULT_HYPERPARAMETERS, get_task

from helpers.runs import option_paths, options


@pytest.fixture
def paths(tmp_path):
    return option_paths(tmp_path)


def checked(options):
    """(options, task, notes) of ``validate``'s ValidOptions."""
    valid = validate(options)
    return valid.options, valid.task, list(valid.notes)


def test_reference_values_of_the_task_fill_what_is_not_given(paths):
    o, task, notes = checked(options(paths, "MRPC", lambda_=0.01))
    assert task.name == "mrpc" and o.task == "mrpc"
    assert (o.lr_bert, o.lr_soft_extract, o.lambda_, o.batch_size) == (6e-5, 3e-3, 0.01, 64)
    assert notes == ["not given, so the reference values of mrpc (uncased BERT-Base, original "
                     "release): --LR_BERT=6e-05 --LR_SOFT_EXTRACT=0.003 --BATCH_SIZE=64"]
    reference = get_task("cola").reference
    o, _, _ = checked(options(paths, "cola"))
    assert (o.lr_bert, o.lr_soft_extract, o.lambda_, o.batch_size) == (
        reference.lr_bert, reference.lr_soft_extract, reference.lambda_, reference.batch_size)


def test_a_task_without_reference_values_takes_the_defaults_and_says_so(paths):
    o, _, notes = checked(options(paths, "demo"))
    assert (o.lr_bert, o.lr_soft_extract, o.lambda_, o.batch_size) == (
        DEFAULT_HYPERPARAMETERS.lr_bert, DEFAULT_HYPERPARAMETERS.lr_soft_extract,
        DEFAULT_HYPERPARAMETERS.lambda_, DEFAULT_HYPERPARAMETERS.batch_size)
    assert "task demo has no reference values" in notes[0]


def test_everything_given_means_no_note(paths):
    _, _, notes = checked(options(paths, "sst-2", lr_bert=3e-5, lr_soft_extract=1e-3,
                                   lambda_=1e-3, batch_size=8))
    assert notes == []


def test_eval_needs_no_training_flags_and_checks_the_combination(paths):
    o, _, notes = checked(options(paths, "mrpc", eval_only=True, retention_configuration="64, 32"))
    assert o.action == "eval" and o.retention_configuration == (64, 32) and notes == []
    assert o.inference_batch_size == 64  # the task's batch size, no --EVAL_BATCH_SIZE
    with pytest.raises(UsageError, match="--FINETUNED_CHECKPOINT is for training"):
        validate(options(paths, "mrpc", eval_only=True,
                         finetuned_checkpoint=str(paths / "vocab.txt")))
    with pytest.raises(UsageError, match="--TASK ax has no training data"):
        validate(options(paths, "ax"))


def test_inference_defaults_to_the_fast_path_and_training_stays_as_it_was(paths):
    from power_bert.options import INFERENCE_DYNAMIC_PADDING, INFERENCE_XLA, PADDING_BUCKETS
    trained, _, _ = checked(options(paths, "mrpc"))
    assert trained.dynamic_padding is False  # the resume key of earlier runs
    assert (trained.training_xla, trained.inference_xla) == (False, False)
    for action in ("eval_only", "predict_only"):
        o, _, _ = checked(options(paths, "mrpc", **{action: True}))
        assert o.dynamic_padding is INFERENCE_DYNAMIC_PADDING
        assert (o.training_xla, o.inference_xla) == (False, INFERENCE_XLA)
        assert o.padding_buckets == PADDING_BUCKETS
        off, _, _ = checked(options(paths, "mrpc", xla="false", dynamic_padding="no",
                                     **{action: True}))
        assert (off.inference_xla, off.dynamic_padding) == (False, False)
    on, _, _ = checked(options(paths, "mrpc", xla="TRUE", dynamic_padding=True))
    assert (on.training_xla, on.inference_xla, on.dynamic_padding) == (True, True, True)


@pytest.mark.parametrize("given,message", [
    (dict(xla="maybe"), "--XLA is a switch: true or false, got 'maybe'"),
    (dict(dynamic_padding="2"), "--DYNAMIC_PADDING is a switch: true or false, got '2'"),
    (dict(padding_buckets=0), "--PADDING_BUCKETS must be an integer >= 1, got 0"),
])
def test_bad_fast_path_flags_name_the_flag(paths, given, message):
    with pytest.raises(UsageError) as error:
        validate(options(paths, "mrpc", eval_only=True, **given))
    assert str(error.value) == message


def test_float_flags_are_held_to_what_float32_can_hold(paths):
    import numpy as np
    from power_bert.options import FLOAT32_MAX, FLOAT32_MIN_POSITIVE
    assert FLOAT32_MAX == float(np.finfo(np.float32).max)
    assert np.float32(FLOAT32_MIN_POSITIVE) > 0 and np.float32(FLOAT32_MIN_POSITIVE / 2) == 0
    # the limits themselves are accepted, as float32 holds them
    o, _, _ = checked(options(paths, "mrpc", lambda_=FLOAT32_MAX, lr_bert=FLOAT32_MIN_POSITIVE))
    assert (o.lambda_, o.lr_bert) == (FLOAT32_MAX, FLOAT32_MIN_POSITIVE)
    for field, flag, value in (("lambda_", "--LAMBDA", 1e300), ("lr_bert", "--LR_BERT", 1e39),
                               ("lr_soft_extract", "--LR_SOFT_EXTRACT", 3.5e38),
                               ("lambda_", "--LAMBDA", float("inf"))):
        with pytest.raises(UsageError, match="^%s must be" % flag) as caught:
            validate(options(paths, "mrpc", **{field: value}))
        assert repr(value) in str(caught.value)


def test_validation_returns_frozen_options_and_leaves_the_request_as_it_was(paths):
    asked = options(paths, "MRPC", xla="yes", mixed_precision="BFLOAT16")
    valid = validate(asked)
    assert isinstance(valid, ValidOptions)
    assert (valid.options.task, valid.options.xla, valid.options.mixed_precision,
            valid.options.lr_bert) == ("mrpc", True, "bfloat16", 6e-5)
    assert (asked.task, asked.xla, asked.mixed_precision, asked.lr_bert) == (
        "MRPC", "yes", "BFLOAT16", None)  # the request is not changed
    for frozen in (valid, valid.options):
        with pytest.raises(dataclasses.FrozenInstanceError):
            frozen.task = "cola"


def test_the_pipeline_takes_only_validated_options(paths):
    from power_bert.pipeline import Pipeline
    with pytest.raises(TypeError, match="Pipeline takes the ValidOptions of options.validate"):
        Pipeline(options(paths, "mrpc"))


def _trained_model(paths, vocab_path):
    """A fine-tuned model's checkpoint (metadata and an empty weights file) recording
    ``vocab_path``."""
    from power_bert.checkpoint import StageCheckpoint
    from power_bert.config import BertConfig
    config = BertConfig(vocab_size=1, hidden_size=4, num_hidden_layers=1,
                        num_attention_heads=1, intermediate_size=4,
                        max_position_embeddings=8)
    checkpoint = StageCheckpoint(config=config, task="mrpc", num_labels=2, seq_len=8,
                           mode="finetune", cased=False, vocab_path=vocab_path)
    (paths / "finetune.json").write_text(json.dumps(checkpoint.to_json()))
    (paths / "finetune.hdf5").write_bytes(b"")
    return str(paths / "finetune.hdf5")


def test_evaluation_takes_the_vocabulary_the_checkpoint_records(paths):
    model = _trained_model(paths, str(paths / "vocab.txt"))
    for action in ("eval_only", "predict_only"):
        asked = dataclasses.replace(options(paths, "mrpc", **{action: True}),
                                    vocab_path=None, checkpoint_path=model)
        assert validate(asked).options.vocab_path == str(paths / "vocab.txt")
    given = dataclasses.replace(options(paths, "mrpc", eval_only=True), checkpoint_path=model,
                                vocab_path=str(paths / "bert_config.json"))
    assert validate(given).options.vocab_path == str(paths / "bert_config.json")  # as given
    unrecorded = _trained_model(paths, None)
    with pytest.raises(UsageError, match="does not record its vocabulary; give --VOCAB_PATH"):
        validate(dataclasses.replace(options(paths, "mrpc", eval_only=True), vocab_path=None,
                                     checkpoint_path=unrecorded))

