"""Words: how a statement becomes terms (analyser), in which language, and how common each word is."""
