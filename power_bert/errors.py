"""Every error a user can cause (a bad flag, file or data), at the bottom of the house.

This module imports nothing of the package, so any module can raise these. The command
line (``power_bert.cli``) turns any ``PowerBertError`` into one ``error: ...`` line and
exit status 2; any other exception is a bug and keeps its traceback.

``check_integer`` is the one check of a whole-number flag's range, for every command.
"""
import numbers
from typing import Optional, Type


class PowerBertError(ValueError):
    """A problem the user can fix; the message names the flag, file or line at fault."""


class UsageError(PowerBertError):
    """A flag, or a combination of flags, that cannot be used."""


class ConfigError(PowerBertError):
    """A BERT configuration (``bert_config.json`` or a dictionary) that cannot be used."""


BertConfigError = ConfigError  # the name used by the Google-format helpers


class CheckpointError(PowerBertError):
    """A checkpoint (Google or stage) that cannot be read or does not fit the model."""


class DataError(PowerBertError):
    """A data file that cannot be read as the task's format."""


class RetentionConfigError(PowerBertError):
    """A retention configuration that does not fit the model or the task."""


class ConversionError(PowerBertError):
    """A Hugging Face checkpoint that cannot be converted faithfully."""


class BenchmarkError(PowerBertError):
    """A flag, file or model combination the benchmark cannot use."""


class ExportError(PowerBertError):
    """A stage checkpoint, vocabulary or output folder the export cannot use."""


class SubmissionError(PowerBertError):
    """Prediction files that cannot be put into one GLUE submission."""



class TrainingDiverged(PowerBertError):
    """The training loss became NaN or infinite (a learning rate too large)."""


class RunLocked(PowerBertError):
    """Another process is training into the same OUTPUT_DIR."""


class Interrupted(Exception):
    """Ctrl-C during training: the message says what was saved and how to resume.
    Not a PowerBertError: the command ends with status 130, as interrupted programs do."""


def check_integer(value, flag: str, low: int, high: Optional[int] = None,
                  error: Type[PowerBertError] = UsageError) -> int:
    """The one range check of a whole-number flag (a count, a size, a seed).

    Args:
      value: the flag's value (argparse's ``type=int`` has made it an int; from Python,
        anything).
      flag: its name for the message ("--BATCH_SIZE").
      low: the smallest value allowed.
      high: the largest, or None for no bound.
      error: the error class of the caller's command.

    Returns:
      ``value``.

    Raises:
      error: "--FLAG must be an integer, got 'x'", "--FLAG must be at least N, got V"
        (no ``high``) or "--FLAG must be an integer in [N, M], got V". A bool is not an
        integer here.
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise error("%s must be an integer, got %r" % (flag, value))
    if high is not None and not low <= value <= high:
        raise error("%s must be an integer in [%d, %d], got %d" % (flag, low, high, value))
    if value < low:
        raise error("%s must be at least %d, got %d" % (flag, low, value))
    return value
