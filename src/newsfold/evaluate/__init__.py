"""Scores against labelled data: B-cubed and pair metrics."""
