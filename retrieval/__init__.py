"""Embedding, storage and search of paragraphs. Knows nothing of Discord."""
