"""The one place that imports TensorFlow and checks that ``tf.keras`` is Keras 2.

keras-bert and its sibling packages do ``from tensorflow import keras``; with
TensorFlow >= 2.16 that is Keras 3 unless ``TF_USE_LEGACY_KERAS=1`` is set
before TensorFlow is imported and the ``tf-keras`` package is installed. The package's
entry point (``power_bert/__init__.py``, run before any of its modules) sets it.
"""
import contextlib
import os
import re
import sys
import tempfile

# The lines TensorFlow's C++ libraries write while they load, before absl's logging is
# initialised and so regardless of TF_CPP_MIN_LOG_LEVEL: absl's header line and
# info/warning lines ("I0000 00:00:... port.cc:153] oneDNN custom operations are on").
_START_UP_NOISE = re.compile(
    rb"^(WARNING: All log messages before absl::InitializeLog\(\) is called"
    rb"|[IW]\d{4} \d\d:\d\d:\d\d)")


@contextlib.contextmanager
def _start_up_noise_filtered():
    """Holds back what is written to file descriptor 2 (the C++ libraries write there, not
    to ``sys.stderr``) and writes it back without ``_START_UP_NOISE`` lines, when
    TF_CPP_MIN_LOG_LEVEL hides warnings (2 or more, the package's default); with 0 or 1
    everything is shown."""
    try:
        quiet = int(os.environ.get("TF_CPP_MIN_LOG_LEVEL", "0")) >= 2
        descriptor = sys.stderr.fileno()
    except (ValueError, AttributeError, OSError):  # (io.UnsupportedOperation is an OSError)
        quiet = False
    if not quiet:
        yield
        return
    sys.stderr.flush()
    saved = os.dup(descriptor)
    with tempfile.TemporaryFile() as held:
        os.dup2(held.fileno(), descriptor)
        try:
            yield
        finally:
            sys.stderr.flush()
            os.dup2(saved, descriptor)
            os.close(saved)
            held.seek(0)
            kept = [line for line in held.read().splitlines(keepends=True)
                    if not _START_UP_NOISE.match(line)]
            if kept:
                sys.stderr.write(b"".join(kept).decode("utf-8", "replace"))
                sys.stderr.flush()


with _start_up_noise_filtered():
    import tensorflow as tf

    keras = tf.keras  # (tf-keras loads its own copy of the libraries: more start-up lines)
K = keras.backend


def _check_keras_2():
    version = getattr(keras, "__version__", "") or ""
    name = getattr(keras, "__name__", "")
    if not (name.startswith("tf_keras") or version.startswith("2.")):
        raise ImportError(
            "power_bert needs the Keras 2 API, but tf.keras is %s %s. Install tf-keras "
            "(pip install -r requirements.txt) and set TF_USE_LEGACY_KERAS=1 before "
            "TensorFlow is first imported (TF_USE_LEGACY_KERAS is now %r)."
            % (name, version, os.environ.get("TF_USE_LEGACY_KERAS")))


_check_keras_2()

__all__ = ["tf", "keras", "K"]
