"""``ft eval``: measure ft on the user's own files, so its figures are not the ones it was tuned on.

Every evaluation set is a JSONL file, one case a line, each with an optional ``"split"`` ("dev" to
tune on, "test" to report); ``split=None`` takes every case.

- questions: ``{"q": …, "expect": ["accepted phrasing", …]}``; an empty ``expect`` marks a question
  the library cannot answer. A search hit is relevant when its text contains an accepted phrasing.
- segments: ``{"file": …, "lines": [first, last], "starts": [line, …]}``, 1-based lines where posts start.
- labels: ``{"title": an item's title, or "text": …, "label": …}``, as ``ft classify --eval`` reads.
- checklist: ``{"point": …, "any": ["phrasing", …]}``, covered when the summary contains one.
"""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from ft import sources
from ft.core.errors import FtError
from ft.sources import tweets
from ft.sources.base import Input
from ft.sources.segment import split_posts

__all__ = ["answers", "boundary_f1", "labels", "load_cases", "retrieval", "segmentation", "summary_coverage"]


def load_cases(path: Path, split: str | None = None) -> list[dict[str, Any]]:
    """The cases of one JSONL evaluation file, only those of ``split`` when given."""
    try:
        rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    except (OSError, ValueError) as exc:
        raise FtError(f"cannot read evaluation file {path}: {exc}") from exc
    return [r for r in rows if split is None or r.get("split", split) == split]


def contains(text: str, phrasings: Iterable[str]) -> bool:
    """Whether ``text`` holds any phrasing, ignoring case and runs of spaces."""
    flat = _flat(text)
    return any(_flat(p) in flat for p in phrasings)


def _flat(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().lower()


# -- retrieval and answers --------------------------------------------------------------

def retrieval(lib, cases: list[dict[str, Any]], k: int = 5, mode: str = "hybrid") -> dict[str, Any]:
    """Recall@k and MRR of ``ft search`` over the answerable questions."""
    ranks = []
    for case in (c for c in cases if c.get("expect")):
        hits = lib.search(case["q"], limit=max(k, 20), mode=mode)
        rank = next((n for n, h in enumerate(hits, 1) if contains(f"{h.item.title}\n{h.item.text}", case["expect"])), None)
        ranks.append({"q": case["q"], "rank": rank})
    found = [r["rank"] for r in ranks]
    return {"questions": len(found), f"recall@{k}": _share(r is not None and r <= k for r in found),
            "mrr": round(sum(1 / r for r in found if r) / len(found), 3) if found else 0.0, "cases": ranks}


def answers(lib, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """The share of ``ft ask`` answers holding an accepted phrasing, or saying not found when
    the question has no answer in the library."""
    from index import Filters

    from .answer import NOT_FOUND, answer

    results = []
    for case in cases:
        text = answer(lib, case["q"], Filters()).text
        ok = contains(text, case["expect"]) if case.get("expect") else text == NOT_FOUND
        results.append({"q": case["q"], "ok": ok, "answer": text})
    answerable = [r for r, c in zip(results, cases) if c.get("expect")]
    unanswerable = [r for r, c in zip(results, cases) if not c.get("expect")]
    return {"questions": len(results), "correct": _share(r["ok"] for r in results),
            "answerable_correct": _share(r["ok"] for r in answerable),
            "unanswerable_correct": _share(r["ok"] for r in unanswerable), "cases": results}


# -- segmentation -----------------------------------------------------------------------

def boundary_f1(predicted: set[int], gold: set[int]) -> tuple[float, float, float]:
    """Precision, recall and F1 of post starts (the first line of a range is never counted)."""
    hits = len(predicted & gold)
    precision = hits / len(predicted) if predicted else float(not gold)
    recall = hits / len(gold) if gold else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def segmentation(cases: list[dict[str, Any]], root: Path, embed=None) -> dict[str, Any]:
    """Boundary precision, recall and F1 of ``split_posts`` against hand-marked post starts,
    pooled over the cases (each restricted to its line range). A file ``ft add`` would not read
    as a dump of posts (``read_as``) is one item, with no boundary found: the figure is what an
    import gives."""
    predicted_all: set[tuple[str, int]] = set()
    gold_all: set[tuple[str, int]] = set()
    per_file = []
    for case in cases:
        path = _resolve(case["file"], root)
        first, last = case["lines"]
        read_as = sources.detect(Input(path)).name
        starts = {p.start + 1 for p in split_posts(path.read_text(encoding="utf-8"), embed)} if read_as == tweets.NAME else set()
        predicted = {s for s in starts if first < s <= last}
        gold = {s for s in case["starts"] if first < s <= last}
        per_file.append({"file": case["file"], "lines": case["lines"], "read_as": read_as,
                         "f1": round(boundary_f1(predicted, gold)[2], 3),
                         "missed": sorted(gold - predicted), "extra": sorted(predicted - gold)})
        predicted_all |= {(case["file"], s) for s in predicted}
        gold_all |= {(case["file"], s) for s in gold}
    p, r, f = boundary_f1(predicted_all, gold_all)
    return {"boundaries": len(gold_all), "precision": round(p, 3), "recall": round(r, 3), "f1": round(f, 3),
            "cases": per_file}


def _resolve(name: str, root: Path) -> Path:
    path = Path(name) if Path(name).is_absolute() else root / name
    if not path.is_file():
        raise FtError(f"no such file: {path}")
    return path


# -- classification and summaries -------------------------------------------------------

def labels(lib, taxonomy, path: Path, split: str | None, engine_factory) -> dict[str, Any]:
    """Macro-F1 and confusion of ``ft classify`` (the cascade) on the labelled items of ``split``."""
    from .classify import evaluate

    with tempfile.TemporaryDirectory() as folder:
        chosen = Path(folder) / path.name
        chosen.write_text("".join(json.dumps(c) + "\n" for c in load_cases(path, split)), encoding="utf-8")
        (report,) = evaluate(lib, taxonomy, chosen, engine_factory, methods=("cascade",))
    return {"items": len(report.truth), "macro_f1": round(report.macro_f1, 3), "accuracy": round(report.accuracy, 3),
            "by_llm": report.by_llm, "confusion": report.confusion(), "skipped": report.skipped}


def summary_coverage(text: str, cases: list[dict[str, Any]]) -> dict[str, Any]:
    """How many checklist points a summary covers, by accepted phrasings."""
    covered = [c["point"] for c in cases if contains(text, c["any"])]
    return {"points": len(cases), "covered": len(covered),
            "missed": [c["point"] for c in cases if c["point"] not in covered]}


def _share(flags: Iterable[bool]) -> float:
    values = list(flags)
    return round(sum(values) / len(values), 3) if values else 0.0
