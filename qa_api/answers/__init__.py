"""Answers: sentences and typed spans of the retrieved passages, scored into a short answer."""
