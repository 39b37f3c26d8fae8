"""Case summaries are written in our own words: no run of words copied from the seeds."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

import corridors

SEEDS = Path(os.environ.get("CORRIDORS_SHARED", Path(__file__).resolve().parents[2] / "shared"))
SEEDS = SEEDS / "seeds"
RUN = 8  # words: a shared run this long is a copied sentence


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


# Proper names: capitalised words joined by short connectors, and parenthesised
# expansions of acronyms, e.g. "Linear Infrastructure Safeguards in Asia (LISA)".
_NAME = re.compile(r"\b[A-Z][\w'-]*(?:\s+(?:(?:in|of|for|and|the|to)\s+)*[A-Z][\w'-]*)+")


def _strip_names(text: str) -> str:
    return _NAME.sub(" ", re.sub(r"\([^)]*\)", " ", text))


def _runs(words: list[str], n: int) -> set[tuple[str, ...]]:
    return {tuple(words[i : i + n]) for i in range(len(words) - n + 1)}


@pytest.fixture(scope="module")
def seed_runs() -> set[tuple[str, ...]]:
    if not SEEDS.is_dir():
        if os.environ.get("CI") == "true":
            pytest.fail(f"seed documents not found at {SEEDS}; CI needs ../shared beside the repo")
        pytest.skip(f"seed documents not found at {SEEDS}")
    words = _words(" ".join(p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))))
    return _runs(words, RUN)


def test_summaries_share_no_sentence_with_the_seeds(seed_runs: set[tuple[str, ...]]) -> None:
    cases = corridors.load_cases()
    copied = {}
    for case_id, row in cases.iterrows():
        # Names carry over from the sources (organisations, programmes); sentences do not.
        text = _strip_names(row["summary"])
        for name in [*row["organisations"], row["name"]]:
            text = text.replace(name, " ")
        shared = _runs(_words(text), RUN) & seed_runs
        if shared:
            copied[case_id] = " ".join(sorted(shared)[0])
    assert not copied, f"summaries copying the seeds: {copied}"


def test_oracle_catches_a_copied_sentence(seed_runs: set[tuple[str, ...]]) -> None:
    copied = "the deer squeeze through a 400m wide area twice a year"
    assert _runs(_words(copied), RUN) & seed_runs
