"""Errors a user can act on. The CLI prints their message on one line and exits with code 2."""


class WganError(Exception):
    """Base class for every error caused by input, data or configuration rather than a bug."""


class ConfigError(WganError):
    """A configuration key is unknown, has the wrong type or an invalid value."""


class DataError(WganError):
    """Input data is missing, unreadable, malformed or unsuitable."""


class CheckpointError(WganError):
    """A checkpoint is missing, corrupt, incompatible or unsafe to load."""


class CheckpointMismatchError(CheckpointError):
    """A checkpoint's tensors do not fit the model built from the config (an architecture
    option changed since the checkpoint was written)."""


class NonFiniteLossError(WganError):
    """Training produced a NaN or infinite loss; the last good checkpoint is kept."""
