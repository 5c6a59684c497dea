"""PoWER-BERT: progressive word-vector elimination for faster BERT inference.

Importing the package selects the Keras 2 API (tf-keras) for TensorFlow. The
variable must be set before TensorFlow is first imported, so import
``power_bert`` (or ``power_bert.backend``) before ``tensorflow``.
"""
import os

os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")
# TensorFlow's C++ start-up lines (oneDNN, "Could not find cuda drivers", the E-level
# "failed call to cuInit" on a machine without a GPU) are noise for this program: 3 hides
# them; TF_CPP_MIN_LOG_LEVEL=0 in the environment shows everything again.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

__version__ = "0.1.0"
