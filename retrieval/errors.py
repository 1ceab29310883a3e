"""Errors with messages meant for the person running Attribot."""


class IndexProblem(Exception):
    """The index folder is missing, corrupt, or was built with another model."""


class ModelError(Exception):
    """The embedding model cannot be loaded."""
