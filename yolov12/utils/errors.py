"""The package's error base classes: every refusal of bad input is one of these, with a one-line message.

Each concrete error also derives from the builtin it refines (``ValueError``, ``OSError``...), so callers that
catch the builtin keep working; the CLI catches :class:`YoloError` and prints its message without a traceback.
"""

from __future__ import annotations


class YoloError(Exception):
    """Base of every error the package raises on purpose (bad input, refused file, unusable setting)."""


class ConfigError(YoloError, ValueError):
    """An argument or configuration value outside what is accepted (names the argument and the bound)."""


class OverwriteError(YoloError, ValueError):
    """An output path that is (or resolves to) one of the inputs of the same command."""


class RunFolderError(YoloError, ValueError):
    """A run folder (``project`` / ``name``) that would lie outside its project folder."""
