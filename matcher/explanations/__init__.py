"""Explanations: a score split into the need <-> capability pairs and terms that make it, and how strong it is."""
