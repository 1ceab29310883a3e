"""Errors that carry a message meant for the person running Attribot."""


class CorpusError(Exception):
    """A file or text that cannot be used; the message says why in plain words."""
