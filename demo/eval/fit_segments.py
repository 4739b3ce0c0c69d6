"""Fit the post-splitting weights of ``ft/sources/segment.py`` on the dev half of segments.jsonl.

Every gap between two lines of a dev dump is one example (a post starts after it or not), its
features read with the post begun where the hand marks say. A logistic regression with a small L2
penalty (Newton steps, so the result is deterministic) gives the weights; the script prints them as
the constants to paste into ``segment.py`` (with a second set for the line shapes alone), and the
leave-one-dump-out boundary F1 on dev as an estimate of how they carry to dumps they were not fit
on. The test half is never read:

    python demo/eval/fit_segments.py [FT_HOME]
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import ft
from ft.sources import segment
from ft.tasks.evaluate import boundary_f1, load_cases

ROOT = Path(__file__).resolve().parents[2]
L2 = 0.3  # penalty on the standardized weights


def examples(case: dict, embed) -> tuple[np.ndarray, np.ndarray, list[int], list[str], segment.LineVectors]:
    """Features and labels of the gaps inside the case's line range, and the dump's filled lines."""
    raw = (ROOT / case["file"]).read_text(encoding="utf-8").split("\n")
    filled = [i for i, line in enumerate(raw) if line.strip()]
    lines = [raw[i].strip() for i in filled]
    vectors = segment.line_vectors(lines, embed)
    first, last = case["lines"]
    inside = [j for j, i in enumerate(filled) if first <= i + 1 <= last]
    rows, labels, start = [], [], inside[0]
    for g in inside[:-1]:
        starts_post = filled[g + 1] + 1 in case["starts"]
        rows.append(segment.gap_features(lines, vectors, start, g))
        labels.append(float(starts_post))
        start = g + 1 if starts_post else start
    return np.array(rows), np.array(labels), filled, lines, vectors


def fit(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    mean, scale = x.mean(axis=0), x.std(axis=0) + 1e-9
    z = np.hstack([(x - mean) / scale, np.ones((len(x), 1))])
    penalty = np.diag([L2] * x.shape[1] + [0.0])
    w = np.zeros(z.shape[1])
    for _ in range(50):
        p = 1 / (1 + np.exp(-z @ w))
        hessian = (z.T * (p * (1 - p))) @ z + penalty + 1e-6 * np.eye(len(w))
        w -= np.linalg.solve(hessian, z.T @ (p - y) + penalty @ w)
    return mean, scale, w[:-1], float(w[-1])


def predicted(case: dict, filled: list[int], lines: list[str], vectors: segment.LineVectors, model) -> set[int]:
    """The starts ``segment.boundaries`` finds with ``model``, as 1-based lines inside the range."""
    saved = segment.MEAN, segment.SCALE, segment.WEIGHTS, segment.BIAS
    segment.MEAN, segment.SCALE, segment.WEIGHTS, segment.BIAS = model
    try:
        breaks = segment.boundaries(lines, lambda _: vectors.unit)
    finally:
        segment.MEAN, segment.SCALE, segment.WEIGHTS, segment.BIAS = saved
    first, last = case["lines"]
    return {filled[g + 1] + 1 for g in breaks} & set(range(first + 1, last + 1))


def main(home: str | None) -> None:
    cases = [c for c in load_cases(ROOT / "demo" / "eval" / "segments.jsonl", "dev") if (ROOT / c["file"]).is_file()]
    with ft.Library(home) as lib:
        data = [examples(case, lib.embedder.embed) for case in cases]
    x = np.vstack([d[0] for d in data])
    y = np.concatenate([d[1] for d in data])
    found, gold = set(), set()
    for k, (case, (_, _, filled, lines, vectors)) in enumerate(zip(cases, data)):
        rest = [d for j, d in enumerate(data) if j != k]
        model = fit(np.vstack([d[0] for d in rest]), np.concatenate([d[1] for d in rest]))
        first, last = case["lines"]
        starts = predicted(case, filled, lines, vectors, model)
        marked = {s for s in case["starts"] if first < s <= last}
        print(f"# {case['file']} {case['lines']}: missed {sorted(marked - starts)} extra {sorted(starts - marked)}")
        found |= {(k, s) for s in starts}
        gold |= {(k, s) for s in marked}
    print(f"# {len(y)} dev gaps, {int(y.sum())} post starts; leave-one-dump-out F1 "
          f"{boundary_f1(found, gold)[2]:.3f}")
    mean, scale, weights, bias = fit(x, y)
    _, _, shape_weights, shape_bias = fit(x[:, :segment.SHAPES], y)  # the same standardization
    for name, values in (("MEAN", mean), ("SCALE", scale), ("WEIGHTS", weights), ("SHAPE_WEIGHTS", shape_weights)):
        print(f"{name} = np.array([{', '.join(f'{v:.3f}' for v in values)}])")
    print(f"BIAS = {bias:.3f}\nSHAPE_BIAS = {shape_bias:.3f}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else None)
