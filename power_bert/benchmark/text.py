"""Peers from raw text: ``power-bert benchmark --PEERS hf savedmodel --FROM_TEXT true``.

What a user serving a model times: sentences in, probabilities (or STS-B scores) out,
tokenisation included. The engines of this mode, in the order they take turns:

  hf_text               Hugging Face transformers: its fast tokenizer (``--HF_TOKENIZER``,
                        a model folder as ``AutoTokenizer.from_pretrained`` reads it; by
                        default the baseline's vocab.txt through the ``tokenizers``
                        library's BERT word-piece tokenizer) and
                        ``BertForSequenceClassification`` with the baseline's weights
                        (``peers.hf_model``), each batch padded to its longest example,
                        the sentences in file order. The reference of the speed-ups.
  hf_text_sorted        (with --SORT_BY_LENGTH, the default) the same with the batches
                        power-bert's engines take: rows sorted by token length.
  bert_text, power_text this project's ``power-bert predict --INPUT`` on the baseline and on
                        PoWER-BERT checkpoints (``rawtext.CheckpointBackend``: the training
                        path's tokeniser, each batch cut to its longest example).
  bert_savedmodel_text, (--PEERS savedmodel) the default export (``power-bert export``) of
  power_savedmodel_text each, as ``power-bert predict --SAVED_MODEL`` runs it: the rows
                        tokenised by its ``tokenize`` signature, then its ``token_ids``
                        on each batch (both in the graph; ``serving_default`` is the
                        two in one call).

Every engine takes the dev set's sentences --BATCH_SIZE at a time; power-bert's engines
sort the rows by token length first, as ``power-bert predict --INPUT`` does
(``rawtext.predict_texts``, ``TokenisedRows.row_order``; --SORT_BY_LENGTH false: file
order). The agreement check of ``peers.run_peers`` holds here too: the engines of one
model must agree, so a tokenizer that gives other ids than this project's stops the
command.
"""
import os
from typing import List, Optional, Sequence, Tuple

import numpy as np

from power_bert.benchmark.peers import (BERT, POWER, Engine, hf_model, hf_precision, hf_source,
                                        import_torch)

TEXT_REFERENCE = "hf_text"
Texts = Tuple[List[str], Optional[List[str]]]  # (first sentences, second or None)


def dev_texts(task, data_dir: str, num_examples: int) -> Texts:
    """The first ``num_examples`` dev examples' sentences of ``task`` (a name or a
    ``TaskSpec``), in file order (the examples ``DataParser.get_dev_data`` encodes)."""
    from power_bert.data.reader import read_task_split
    from power_bert.tasks import get_task
    task = get_task(task)
    examples = read_task_split(task, data_dir, "dev").examples[:num_examples]
    first = [e.text_a for e in examples]
    second = [e.text_b for e in examples] if task.text_b is not None else None
    return first, second


def hf_tokenizer(path: Optional[str], vocab_path: str, cased: bool):
    """HF's fast tokenizer: from a model folder (``path``), else built from ``vocab_path``
    with the ``tokenizers`` library (transformers 5's ``BertTokenizerFast(vocab_file=...)``
    maps every word to [UNK], so it is not used)."""
    _, transformers = import_torch()
    if path:
        return transformers.AutoTokenizer.from_pretrained(path)
    from tokenizers import BertWordPieceTokenizer
    words = BertWordPieceTokenizer(vocab_path, lowercase=not cased, strip_accents=not cased)
    return transformers.PreTrainedTokenizerFast(
        tokenizer_object=words._tokenizer, unk_token="[UNK]", pad_token="[PAD]",
        cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]",
        model_input_names=["input_ids", "token_type_ids", "attention_mask"])


def _batches(texts: Texts, batch_size: int):
    first, second = texts
    for start in range(0, len(first), batch_size):
        stop = start + batch_size
        yield first[start:stop], None if second is None else second[start:stop]


def hf_text_engine(name: str, model, num_labels: int, texts: Texts, batch_size: int,
                   seq_len: int, tokenizer, order=None, precision: str = "none") -> Engine:
    """HF's tokenizer and model (``peers.hf_model``) from text, the rows in ``order``
    (None: file order); the outputs come back in file order (``precision``:
    ``peers.hf_precision``)."""
    from power_bert.benchmark.peers import hf_outputs, padding_name
    from power_bert.inference import in_input_order
    from power_bert.rawtext import texts_in_order
    torch, _ = import_torch()
    batches = list(_batches(texts_in_order(texts, order), batch_size))
    lengths = [int(tokenizer(a, b, padding=True, truncation=True, max_length=seq_len,
                             return_tensors="np")["input_ids"].shape[1]) for a, b in batches]

    def run(verbose: int = 0) -> np.ndarray:
        outputs = []
        with torch.inference_mode(), hf_precision(precision):
            for first, second in batches:
                encoded = tokenizer(first, second, padding=True, truncation=True,
                                    max_length=seq_len, return_tensors="pt")
                outputs.append(hf_outputs(model(**encoded).logits, num_labels))
        return in_input_order(np.concatenate(outputs, axis=0), order)
    return Engine(name, "HF transformers, from text", BERT, padding_name(True, order), run,
                  lengths)


def backend_engine(name: str, label: str, model: str, backend, texts: Texts,
                   batch_size: int, sort: bool, lengths: Sequence[int]) -> Engine:
    """An engine of a ``rawtext`` backend (``predict_texts``: ``batch_size`` at a time,
    sorted by length with ``sort``)."""
    from power_bert.benchmark.peers import padding_name
    from power_bert.rawtext import predict_texts
    return Engine(name, label, model, padding_name(True, True if sort else None),
                  lambda verbose=0: predict_texts(backend, texts, batch_size, sort=sort),
                  lengths)


def text_engines(peers: Sequence[str], baseline, power, task, texts: Texts, x,
                 batch_size: int, sort: bool, folder: str, vocab_path: str,
                 tokenizer_path: Optional[str] = None, precision: str = "none") -> List[Engine]:
    """The rotation of --FROM_TEXT (see the module's docstring).

    Args:
      peers: names from ``peers.PEERS`` (hf, savedmodel; onnx has no text signature).
      baseline, power: ``StageCheckpoint`` of the baseline and of PoWER-BERT.
      task: their task.
      texts: the dev sentences (``dev_texts``); ``x``: their token ids, for the lengths.
      sort: power-bert's engines sort the rows by length (``hf_text_sorted`` joins).
      folder: an empty folder for the exports.
      vocab_path: the baseline's vocabulary (checked against it when it was opened).
      tokenizer_path: --HF_TOKENIZER.
      precision: --MIXED_PRECISION, for HF (``peers.hf_precision``).
    """
    from power_bert.data import DataParser
    from power_bert.export import export_checkpoint
    from power_bert.inference import batch_lengths
    from power_bert.rawtext import CheckpointBackend, SavedModelBackend, TokenisedRows
    order = TokenisedRows.row_order(x, batch_size, sort)  # every power-bert engine's
    lengths = batch_lengths(x, batch_size, True, 1, order)
    engines = []
    if "hf" in peers:
        model = hf_model(hf_source(baseline, "hf_text_source"),
                         baseline.config, baseline.num_labels)
        tokenizer = hf_tokenizer(tokenizer_path, vocab_path, baseline.cased)
        for name, rows in ((TEXT_REFERENCE, None), (TEXT_REFERENCE + "_sorted", order)):
            if name == TEXT_REFERENCE or rows is not None:
                engines.append(hf_text_engine(name, model, baseline.num_labels, texts,
                                              batch_size, baseline.seq_len, tokenizer, rows,
                                              precision))
    parser = DataParser(vocab_path, task, None, seq_len=baseline.seq_len,
                        cased=baseline.cased)
    for prefix, checkpoint, model, label in (("bert", baseline, BERT, "BERT"),
                                             ("power", power, POWER, "PoWER-BERT")):
        keras_model = checkpoint.load_model(dynamic=True, name=prefix + "_text",
                                            inference=True)
        backend = CheckpointBackend(keras_model, parser)
        engines.append(backend_engine(prefix + "_text", "this project, %s, from text" % label,
                                      model, backend, texts, batch_size, sort, lengths))
    if "savedmodel" in peers:
        for prefix, checkpoint, model, label in (("bert", baseline, BERT, "BERT"),
                                                 ("power", power, POWER, "PoWER-BERT")):
            path = os.path.join(folder, prefix + "_savedmodel")
            export_checkpoint(checkpoint, path, vocab_path=vocab_path, mixed_precision=precision)
            engines.append(backend_engine(
                prefix + "_savedmodel_text", "%s SavedModel, from text" % label, model,
                SavedModelBackend(path), texts, batch_size, sort, lengths))
    return engines


__all__ = ["TEXT_REFERENCE", "dev_texts", "hf_tokenizer", "hf_text_engine", "backend_engine",
           "text_engines"]
