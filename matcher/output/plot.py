"""Draw the funnel with matplotlib (the optional ``plot`` extra): one module, so nothing else imports it."""

from __future__ import annotations

from pathlib import Path

from ..errors import MatcherError
from ..paths import replacing


class PlotUnavailable(MatcherError):
    """matplotlib is not installed."""


def plot_funnel(funnel, path: Path) -> None:
    """A horizontal bar per pipeline stage (pairs that reached it, with the conversion), as PNG or SVG."""
    try:
        import matplotlib

        matplotlib.use("Agg")  # no display: write a file
        import matplotlib.pyplot as plt
    except ImportError:
        raise PlotUnavailable("The chart needs matplotlib: pip install 'matcher[plot]'.") from None
    stages = [s.stage for s in funnel.steps][::-1]
    pairs = [s.pairs for s in funnel.steps][::-1]
    fig, ax = plt.subplots(figsize=(7, 3.6))
    bars = ax.barh(stages, pairs, color="#2f6f9f")
    for bar, step in zip(bars, funnel.steps[::-1]):
        label = f"{step.pairs}" + (f"  ({step.conversion:.0%})" if step.conversion is not None else "")
        ax.text(bar.get_width(), bar.get_y() + bar.get_height() / 2, " " + label, va="center", fontsize=9)
    scope = f" of {funnel.org}" if funnel.org else ""
    ax.set_title(f"Matches{scope}: pairs that reached each stage")
    ax.set_xlabel("pairs")
    ax.margins(x=0.15)
    fig.tight_layout()
    try:
        with replacing(path) as tmp:  # whole or not at all, and two runs never share a temporary name
            fig.savefig(tmp, format=path.suffix.lower().lstrip("."))
    finally:
        plt.close(fig)
