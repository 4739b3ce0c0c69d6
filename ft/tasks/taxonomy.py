"""Taxonomies: the named label sets items are classified into.

A taxonomy is a name (``topic``, ``kind``…) and labels, each with a one-line
description and optional example texts. They come from ``config.json``
(``"taxonomies": {"topic": {"label": {"description": …, "examples": […]}}}``),
from a JSON file of the same shape, or from ``--labels a,b,c``. ``kind`` is
built in. A taxonomy's fingerprint changes when any label, description or
example does, which is what makes ``ft classify`` redo its items.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from ft.core.errors import FtError
from ft.core.settings import Settings

__all__ = ["BUILTIN", "Label", "Taxonomy", "from_names", "load_taxonomies"]


@dataclass(frozen=True)
class Label:
    name: str
    description: str = ""
    examples: tuple[str, ...] = ()

    @property
    def prompt(self) -> str:
        """How the label reads to a model: its name and what it means."""
        return f"{self.name}: {self.description}" if self.description else self.name


@dataclass(frozen=True)
class Taxonomy:
    name: str
    labels: tuple[Label, ...] = field(default_factory=tuple)

    @property
    def names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def fingerprint(self) -> str:
        payload = json.dumps([[l.name, l.description, list(l.examples)] for l in self.labels])
        return hashlib.sha256(payload.encode()).hexdigest()[:16]

    def label(self, name: str) -> Label:
        for label in self.labels:
            if label.name == name:
                return label
        raise FtError(f"{name!r} is not a label of taxonomy {self.name!r} (labels: {', '.join(self.names)})")


def _parse(name: str, data: object, where: str) -> Taxonomy:
    if not isinstance(data, dict) or not data:
        raise FtError(f"{where}: taxonomy {name!r} must map label names to descriptions")
    labels = []
    for label, spec in data.items():
        if isinstance(spec, str):
            labels.append(Label(label, spec))
        elif isinstance(spec, dict):
            examples = spec.get("examples", [])
            if not isinstance(examples, list) or not all(isinstance(e, str) for e in examples):
                raise FtError(f"{where}: examples of {name}/{label} must be a list of strings")
            labels.append(Label(label, str(spec.get("description", "")), tuple(examples)))
        else:
            raise FtError(f"{where}: label {name}/{label} must be a description or an object")
    if len(labels) < 2:
        raise FtError(f"{where}: taxonomy {name!r} needs at least two labels")
    return Taxonomy(name, tuple(labels))


def from_names(name: str, labels: str) -> Taxonomy:
    """A taxonomy from ``--labels a,b,c``: the names are their own descriptions."""
    names = [n.strip() for n in labels.split(",") if n.strip()]
    if len(set(names)) < 2:
        raise FtError("--labels needs at least two different labels, comma-separated")
    return Taxonomy(name, tuple(Label(n) for n in dict.fromkeys(names)))


BUILTIN = {
    "kind": _parse("kind", {
        "paper": "a research paper, preprint or write-up of experiments and results",
        "tool": "a software tool, library, model release or repository people can use",
        "opinion": "an opinion, take, essay or prediction about a field",
        "launch": "a product or company announcement or launch",
        "tutorial": "a how-to, guide, explainer, course or lecture that teaches something",
    }, "built-in"),
}


def load_taxonomies(settings: Settings, file: Path | None = None) -> dict[str, Taxonomy]:
    """Built-in taxonomies, then those in ``config.json`` (``settings``), then those in ``file`` (later wins)."""
    found = dict(BUILTIN)
    sections: list[tuple[object, Path]] = [(settings.taxonomies, settings.home / "config.json")]
    if file is not None:
        if not file.exists():
            raise FtError(f"{file}: no such taxonomy file")
        try:
            sections.append((json.loads(file.read_text()), file))
        except json.JSONDecodeError as exc:
            raise FtError(f"{file}: not valid JSON ({exc.msg} at line {exc.lineno})") from exc
    for section, source in sections:
        if not isinstance(section, dict):
            raise FtError(f"{source}: taxonomies must be an object of name → labels")
        for name, labels in section.items():
            found[name] = _parse(name, labels, str(source))
    return found
