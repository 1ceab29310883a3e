"""Loading documents, splitting paragraphs and attributing speech. Knows nothing of Discord."""

from corpus.models import Attribution, Document, Paragraph

__all__ = ["Attribution", "Document", "Paragraph"]
