"""The Discord application and command line; composes corpus and retrieval."""
