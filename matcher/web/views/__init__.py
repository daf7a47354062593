"""The desk's pages, one module per group; each has ``register(app)``, which adds its routes."""
