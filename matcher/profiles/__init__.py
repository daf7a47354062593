"""Profiles: one YAML file per organisation, read and checked into ``Profile`` records."""
