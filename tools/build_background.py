"""Build matcher/data/background.tsv.gz: how common each term is in general text, per language.

Term weights fitted on a few dozen profiles alone make any word that few of them happen to use look
specific ("built", "maker", "russian"). matcher blends each term's document frequency with a background
frequency from this table. It is made from wordfreq's frequency lists (many sources: Wikipedia, subtitles,
news, books, the web) for the four languages matcher reads: the most common words of each, analysed with
matcher's own analyser (stemmed, stop words dropped), a term's frequency being the sum of its words'.

    pip install wordfreq && python tools/build_background.py

Rerun it whenever the analyser changes (stemmers, stop words, segmentation): the table is keyed by terms.
"""

from __future__ import annotations

import argparse
import gzip
import math
from pathlib import Path

from matcher.text.analyser import Analyzer, Text, default_stop_words
from matcher.text.languages import LANGUAGES

OUT = Path(__file__).resolve().parent.parent / "matcher" / "data" / "background.tsv.gz"


def term_frequencies(language: str, words: int) -> dict[str, float]:
    """Frequency (per word of running text) of every term the top ``words`` words of ``language`` make."""
    from wordfreq import top_n_list, word_frequency

    analyzer = Analyzer(stop_words=default_stop_words(), multilingual=True)
    out: dict[str, float] = {}
    for word in top_n_list(language, words):
        terms = analyzer.stems(Text(word, language))
        if len(terms) != 1:  # a stop word, or a form the analyser splits: no single term to credit
            continue
        out[terms[0]] = out.get(terms[0], 0.0) + word_frequency(word, language)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--words", type=int, default=30_000, help="most common words per language")
    parser.add_argument("-o", "--output", type=Path, default=OUT)
    args = parser.parse_args()
    table: dict[str, float] = {}
    for language in LANGUAGES:
        freqs = term_frequencies(language, args.words)
        print(f"{language}: {len(freqs):,} terms from the {args.words:,} most common words")
        for term, f in freqs.items():
            table[term] = max(table.get(term, 0.0), f)  # a term common in any language is common
    lines = [f"{t}\t{round(math.log10(f * 1e9) * 100)}" for t, f in sorted(table.items()) if "\t" not in t]
    data = (
        "# term\tZipf frequency x 100 (log10 of occurrences per billion words), from wordfreq\n"
        + "\n".join(lines)
        + "\n"
    ).encode()
    args.output.write_bytes(gzip.compress(data, mtime=0))
    print(f"wrote {args.output}: {len(lines):,} terms, {args.output.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
