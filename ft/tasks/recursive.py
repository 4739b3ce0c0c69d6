"""The recursive reader: long input in pieces, notes per piece, notes reduced in a tree.

Following "Recursive Language Models" (Zhang, Kraska, Khattab 2025), the long
text never enters a model's context whole; a controller in Python — never
code a model wrote — walks it:

1. **split** the items into chunks (the stored ones from ``ft embed``);
2. **select** the chunks worth reading: all of them for a summary; for a
   question, the chunks nearest it;
3. **map** each chunk to notes: its most central sentences (nearest the mean
   of the chunk's sentences, and for a question nearest the question), each
   note keeping its character span; notes are cached by (chunk text, method),
   so a second summary or question over the same text reuses them;
4. **reduce** the notes in a tree, ``fan_in`` at a time, keeping the central
   and mutually different ones (maximal marginal relevance), until what is
   left is near the answer's budget; a summary then takes one note per topic
   (k-means over what is left), an answer the notes nearest the question;
5. **answer**: the kept notes in source order, each sentence with its
   ``[item:chunk]`` citation; with ``rewrite``, the model condenses each one,
   and a rewrite is kept only when its words are found in the span it cites.

Every step is recorded in ``trace`` (stage, depth, notes in and out, seconds).
"""

from __future__ import annotations

import hashlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from index.reading import cached_notes, chunks_of_items, item_texts, save_notes

if TYPE_CHECKING:
    from ft.library import Library

__all__ = ["Note", "Reading", "Reader", "sentences"]

METHOD = "central-sentences-v1"
_SENTENCE = re.compile(r"[^\n]+?(?:[.!?…]+[\"')\]]*(?=\s|$)|$)", re.MULTILINE)  # "1.8x" is no sentence end
_WORDS = re.compile(r"\w+")
MAX_WORDS = 40  # captions have no full stops: longer "sentences" are cut into pieces of this size


def sentences(text: str, offset: int = 0) -> list[tuple[int, int]]:
    """Spans of sentences in ``text`` (shifted by ``offset``); unpunctuated runs cut every ~40 words."""
    spans = []
    for match in _SENTENCE.finditer(text):
        start, end = match.start(), match.end()
        while start < end and text[start].isspace():
            start += 1
        if end - start < 12:
            continue
        words = list(re.finditer(r"\S+", text[start:end]))
        for i in range(0, len(words), MAX_WORDS):
            piece = words[i : i + MAX_WORDS]
            spans.append((offset + start + piece[0].start(), offset + start + piece[-1].end()))
    return spans


@dataclass
class Note:
    item_id: int
    chunk: int
    start: int
    end: int
    score: float
    text: str = ""

    @property
    def cite(self) -> str:
        return f"[{self.item_id}:{self.chunk}]"


@dataclass
class Step:
    stage: str
    depth: int
    notes_in: int
    notes_out: int
    seconds: float
    tokens_in: int = 0
    tokens_out: int = 0
    calls: int = 0  # model calls the step made


@dataclass
class Reading:
    """The answer: sentences, each with the notes (spans) it cites, and how it was reached."""

    sentences: list[tuple[str, list[Note]]]
    trace: list[Step] = field(default_factory=list)
    chunks: int = 0
    cached: int = 0
    ungrounded: list[str] = field(default_factory=list)  # written sentences the grounding check dropped

    @property
    def depth(self) -> int:
        return max((s.depth for s in self.trace), default=0)

    @property
    def calls(self) -> int:
        return sum(s.calls for s in self.trace)

    @property
    def text(self) -> str:
        return "\n".join(" ".join([s, *(n.cite for n in notes)]) for s, notes in self.sentences)

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "sentences": [{"text": s, "citations": [{"item": n.item_id, "chunk": n.chunk, "start": n.start, "end": n.end}
                                                    for n in notes]} for s, notes in self.sentences],
            "chunks": self.chunks, "cached_notes": self.cached, "depth": self.depth, "calls": self.calls,
            "ungrounded": self.ungrounded,
            "trace": [step.__dict__ for step in self.trace],
        }


class Reader:
    """Reads items of a library recursively. ``per_chunk`` notes per chunk, ``fan_in`` per reduce."""

    def __init__(self, lib: Library, per_chunk: int = 3, fan_in: int = 6, rewrite_engine=None) -> None:
        self.lib = lib
        self.per_chunk = per_chunk
        self.fan_in = fan_in
        self.engine = rewrite_engine
        self.trace: list[Step] = []
        self.cached = 0

    # -- 1-2. split and select ---------------------------------------------------

    def chunks(self, item_ids: list[int]) -> list[tuple[int, int, int, int, str]]:
        """(item, seq, start, end, text) of every chunk of the items, in order."""
        self.lib.embed()
        return chunks_of_items(self.lib.db, item_ids)

    # -- 3. map ----------------------------------------------------------------------

    def map(self, chunks, question: np.ndarray | None = None) -> list[Note]:
        started = time.perf_counter()
        notes: list[Note] = []
        for item_id, seq, start, _end, text in chunks:
            notes.extend(self._chunk_notes(item_id, seq, start, text, question))
        self.trace.append(Step("map", 0, len(chunks), len(notes), time.perf_counter() - started))
        return notes

    def _chunk_notes(self, item_id: int, seq: int, start: int, text: str, question: np.ndarray | None) -> list[Note]:
        key = hashlib.sha256(f"{METHOD}|{self.lib.embedder_id}|{self.per_chunk}|{text}".encode()).hexdigest()[:32]
        if question is None:
            cached = cached_notes(self.lib.db, key)
            if cached is not None:
                self.cached += 1
                return [Note(item_id, seq, start + a, start + b, score) for a, b, score in cached]
        spans = sentences(text)
        if not spans:
            return []
        vectors = self.lib.embedder.embed([text[a:b] for a, b in spans])  # (S, dim)
        centre = vectors.mean(axis=0)
        centrality = vectors @ (centre / max(float(np.linalg.norm(centre)), 1e-9))
        score = centrality if question is None else 0.3 * centrality + vectors @ question
        top = np.argsort(-score)[: self.per_chunk]
        picked = [(spans[i][0], spans[i][1], float(score[i])) for i in sorted(top)]
        if question is None:
            save_notes(self.lib.db, key, item_id, picked)
        return [Note(item_id, seq, start + a, start + b, s) for a, b, s in picked]

    # -- 4. reduce -----------------------------------------------------------------------

    def reduce(self, notes: list[Note], keep: int, question: np.ndarray | None = None) -> list[Note]:
        """Tree-reduce to ``keep`` notes: groups of ``fan_in`` (in source order) keep their best half
        until one selection by maximal marginal relevance over what is left fits."""
        texts = self._texts(notes)
        vectors = self.lib.embedder.embed(texts) if notes else np.zeros((0, 384), dtype=np.float32)
        depth = 0
        while len(notes) > max(2 * keep, self.fan_in):
            depth += 1
            started = time.perf_counter()
            survivors: list[int] = []
            for g in range(0, len(notes), self.fan_in):
                group = list(range(g, min(g + self.fan_in, len(notes))))
                survivors.extend(self._mmr(group, vectors, max(1, len(group) // 2), question))
            self.trace.append(Step("reduce", depth, len(notes), len(survivors), time.perf_counter() - started))
            notes, vectors = [notes[i] for i in survivors], vectors[survivors]
        started = time.perf_counter()
        if question is None and len(notes) > keep:
            final = sorted(self._cover(vectors, keep))
        else:
            final = sorted(self._mmr(list(range(len(notes))), vectors, keep, question))
        self.trace.append(Step("reduce", depth + 1, len(notes), len(final), time.perf_counter() - started))
        return [notes[i] for i in final]

    @staticmethod
    def _cover(vectors: np.ndarray, keep: int) -> list[int]:
        """One note per topic: k-means into ``keep`` groups, the note nearest each group's centre,
        so a summary of a long conversation touches each thing it was about."""
        from sklearn.cluster import KMeans

        groups = KMeans(n_clusters=keep, n_init=3, random_state=0).fit(vectors)
        picked = []
        for g, centre in enumerate(groups.cluster_centers_):
            members = np.flatnonzero(groups.labels_ == g)
            if len(members):  # notes that repeat each other leave some groups empty
                picked.append(int(members[np.argmax(vectors[members] @ centre)]))
        return picked

    def _mmr(self, group: list[int], vectors: np.ndarray, k: int, question: np.ndarray | None) -> list[int]:
        """Pick ``k`` of ``group``: relevant (central, or near the question) and unlike those already picked."""
        if not group:
            return []
        sub = vectors[group]
        centre = vectors.mean(axis=0) if question is None else question
        relevance = sub @ (centre / max(float(np.linalg.norm(centre)), 1e-9))
        chosen: list[int] = []
        while len(chosen) < min(k, len(group)):
            penalty = (sub @ sub[chosen].T).max(axis=1) if chosen else np.zeros(len(group))
            value = 0.7 * relevance - 0.3 * penalty
            value[chosen] = -np.inf
            chosen.append(int(np.argmax(value)))
        return [group[i] for i in chosen]

    # -- 5. answer ----------------------------------------------------------------------

    def _texts(self, notes: list[Note]) -> list[str]:
        if not notes:
            return []
        texts = item_texts(self.lib.db, {n.item_id for n in notes})
        for note in notes:
            note.text = " ".join(texts[note.item_id][note.start : note.end].split())
        return [n.text for n in notes]

    def answer(self, notes: list[Note], in_source_order: bool = True,
               on_sentence: Callable[[str, list[Note]], None] | None = None) -> list[tuple[str, list[Note]]]:
        """The notes as cited sentences, handed to ``on_sentence`` one by one as they are ready."""
        started = time.perf_counter()
        out = []
        ordered = sorted(notes, key=lambda n: (n.item_id, n.start)) if in_source_order else notes
        for note in ordered:
            sentence = self._rewrite(note) if self.engine is not None else note.text
            out.append((sentence, [note]))
            if on_sentence:
                on_sentence(sentence, [note])
        self.trace.append(Step("answer", 0, len(notes), len(out), time.perf_counter() - started))
        return out

    def _rewrite(self, note: Note) -> str:
        """The model's shorter version of a note, if every word it uses is in the note."""
        from local_models import GenerateOptions

        prompt = f"Sentence: {note.text}\nThe same, shorter:"
        result = self.engine.generate(prompt, GenerateOptions(max_tokens=48, stop=("\n",), speculation="prompt"))
        self.trace.append(Step("rewrite", 0, 1, 1, result.prefill_seconds + result.decode_seconds,
                               result.prompt_tokens, len(result.tokens), 1))
        words = {w.lower() for w in _WORDS.findall(note.text)}
        rewritten = result.text.strip()
        used = [w.lower() for w in _WORDS.findall(rewritten)]
        grounded = used and sum(w in words for w in used) / len(used) >= 0.9 and len(rewritten) < len(note.text)
        return rewritten if grounded else note.text
