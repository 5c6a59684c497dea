"""Tiny stage checkpoints of random weights, saved as the pipeline saves them, and the
sentences the export, ONNX and raw-text tests feed them."""
from pathlib import Path

from power_bert.checkpoint import StageCheckpoint, file_sha256

from helpers.tiny import TINY_VOCAB, tiny_bert_config

SEQ_LEN = 16
# word pieces, punctuation and an accented word beside the tiny vocabulary
VOCAB = list(TINY_VOCAB) + ["##s", "##ing", ",", ".", "!", "cafe"]
# (name, task, mode, retention, extra flags of power-bert export)
EXPORTS = (("sst2-finetune", "sst-2", "finetune", None, ()),
           ("mrpc-retrain-xla", "mrpc", "retrain", (12, 5, 2), ("--XLA", "true")),
           ("stsb-retrain", "sts-b", "retrain", (9, 6, 4), ()))
# Mixed lengths: empty, short, unknown words and accents, and longer than SEQ_LEN.
SENTENCES = ["", "good", "The FILM was great, very great!", "a night in the old world",
             "Café plots, zorgs and actors", " ".join(["the long story"] * 8),
             "not funny . too sad", "love"]
SECONDS = SENTENCES[3:] + SENTENCES[:3]


def stage_checkpoint(root: Path, vocab_path: str, name: str, task: str, mode: str, retention,
                     seed: int):
    """A stage checkpoint of ``task`` (the tiny BERT over ``VOCAB``, ``SEQ_LEN`` positions)
    of random weights drawn with ``seed``, saved into ``root/name``; returns what
    ``StageCheckpoint.save`` returns and the model (fixed padding)."""
    from power_bert.backend import keras
    from power_bert.tasks import get_task
    keras.utils.set_random_seed(seed)
    task_spec = get_task(task)
    config = tiny_bert_config(vocab_size=len(VOCAB))
    stage = StageCheckpoint(config=config, task=task, num_labels=len(task_spec.labels or [0]),
                            seq_len=SEQ_LEN, mode=mode, retention_configuration=retention,
                            vocab_path=vocab_path, vocab_sha256=file_sha256(vocab_path))
    model = stage.build()
    return stage.save(model, str(root / name), mode), model
