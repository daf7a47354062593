"""Ranking: reciprocal scores, exact top-k (numpy or compiled), need queries and their signals."""
