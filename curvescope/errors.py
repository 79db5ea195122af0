"""Errors that end a whole call. Problems with one file or one run are findings, not errors."""

from __future__ import annotations


class CurvescopeError(Exception):
    """Base class: the message is safe to show a user as it is ("<path>: <problem>. <hint>")."""


class LogdirNotFound(CurvescopeError):
    """The path given to read or audit does not exist."""


class NoRunsFound(CurvescopeError):
    """The path exists but holds no training log that any reader recognises."""


class SchemaError(CurvescopeError):
    """A frame or file lacks a column the stage needs."""


class InvalidParameterError(CurvescopeError, ValueError, TypeError):
    """A parameter has the wrong type or value (also a ValueError and TypeError for callers)."""


class PluginError(CurvescopeError):
    """A third-party plugin could not be loaded."""


class ReadError(CurvescopeError):
    """A reader could not read a file; turned into a finding by the caller, never shown raw."""


class RemoteError(CurvescopeError):
    """A URL's storage could not be opened or listed: a missing package, an unreachable endpoint."""


class RemoteAccessDenied(RemoteError):
    """The credentials in use may not list or read the URL."""
