"""The index: every statement and organisation as TF-IDF (or BM25) vectors, built in memory or streamed to a store."""
