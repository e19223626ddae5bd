"""The reading of a question: its answer type, its terms and the words it may be written with."""
