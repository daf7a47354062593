from __future__ import annotations

from pathlib import Path

import pytest
import yaml


def write_profile(folder: Path, slug: str, **fields) -> Path:
    """Write one profile YAML file; the fields are the profile's keys."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{slug}.yaml"
    path.write_text(yaml.safe_dump(fields, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    """Five profiles whose ranking for Alpha can be worked out by hand.

    Alpha needs laser scanning and offers drone platforms.
    - Beta offers laser scanning and needs drone platforms: both directions are exact (cosine 1) -> 1.0.
    - Gamma offers laser scanning but needs fish farming: forward 1, backward 0 -> 0.5*0.5 + 0.5*0 = 0.25.
    - Epsilon offers laser scanning and lists no needs: scored on the forward side alone -> 1.0.
    - Delta offers fish farming and lists no needs: nothing in common -> not listed.
    """
    folder = tmp_path / "profiles"
    write_profile(
        folder,
        "alpha",
        name="Alpha",
        aliases=["Alpha Labs"],
        country="CN",
        kind="company",
        capabilities=["drone platforms"],
        needs=["laser scanning"],
    )
    write_profile(
        folder,
        "beta",
        name="Beta",
        country="RU",
        kind="research-institute",
        capabilities=["laser scanning"],
        needs=["drone platforms"],
    )
    write_profile(
        folder,
        "gamma",
        name="Gamma",
        country="RU",
        kind="university",
        capabilities=["laser scanning"],
        needs=["fish farming"],
    )
    write_profile(folder, "delta", name="Delta", country="DE", kind="company", capabilities=["fish farming"])
    write_profile(folder, "epsilon", name="Epsilon", country="HU", kind="company", capabilities=["laser scanning"])
    return folder


@pytest.fixture(autouse=True)
def private_cache(tmp_path_factory, monkeypatch):
    """Every test gets its own index cache, so tests neither share nor leave state; the multilingual signal is
    off unless a test turns it on (known answers are worked out on shared words)."""
    monkeypatch.setenv("MATCHER_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    monkeypatch.setenv("MATCHER_SEMANTIC", "0")
