"""The errors a user can cause (bad flags, files or data). ``main.py`` turns each into one
"error: ..." line and exit status 2; anything else is a bug and keeps its traceback."""
from power_bert.checkpoint import CheckpointError
from power_bert.config import ConfigError
from power_bert.data import DataError
from power_bert.retention import RetentionConfigError
from power_bert.pipeline import UsageError

USER_ERRORS = (CheckpointError, ConfigError, DataError, RetentionConfigError, UsageError)
