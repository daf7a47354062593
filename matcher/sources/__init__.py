"""Other data turned into profiles: CORDIS grants into a store."""
