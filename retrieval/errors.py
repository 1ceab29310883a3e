"""Errors with messages meant for the person running Attribot."""


class IndexProblem(Exception):
    """The index folder is missing, corrupt, or was built with another model."""


class IndexBusy(IndexProblem):
    """Another process holds the index folder's write lock (an ingest, or a repair)."""


class ModelError(Exception):
    """The embedding model cannot be loaded."""
