"""Count tokens, characters and bytes of text files with the user's own tokenizer (offline).

The storage rules (formulas/storage.yaml) turn tokens into characters and bytes with two
figures that depend on the text and the tokenizer: characters per token and bytes per
character. The catalog's figures are rules of thumb (seed §8); this module measures them:

    m = measure(["corpus/"], "tokenizer.json")
    m.total.chars_per_token, m.total.bytes_per_char, solve_line(m.total)

Tokenizers are Hugging Face `tokenizers` files (tokenizer.json), loaded from disk only — never
downloaded. Files are read in chunks that end at a line break, so memory stays bounded; a
tokenizer whose tokens may span a line break would count a few tokens differently at the chunk
edges (one per chunk of about a megabyte at most). Bytes are the file's size on disk, in its own
encoding, which is what corpus_bytes means.
"""
from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..errors import EngineError, MeasureError
from ..messages import keyed

CHUNK_CHARS = 1 << 20        # characters per chunk handed to the tokenizer
BATCH = 8                    # chunks per encode_batch call (the tokenizer parallelises a batch)




@dataclass
class Counts:
    """Bytes on disk, characters and tokens of one file (or of all of them)."""

    path: str
    bytes: int = 0
    chars: int = 0
    tokens: int = 0
    files: int = 1

    def add(self, other: Counts) -> None:
        self.bytes += other.bytes
        self.chars += other.chars
        self.tokens += other.tokens
        self.files += other.files

    @property
    def tokens_per_char(self) -> float | None:
        return self.tokens / self.chars if self.chars else None

    @property
    def chars_per_token(self) -> float | None:
        return self.chars / self.tokens if self.tokens else None

    @property
    def bytes_per_token(self) -> float | None:
        return self.bytes / self.tokens if self.tokens else None

    @property
    def bytes_per_char(self) -> float | None:
        return self.bytes / self.chars if self.chars else None

    def to_json(self) -> dict[str, Any]:
        return {"path": self.path, "files": self.files, "bytes": self.bytes, "chars": self.chars,
                "tokens": self.tokens, "tokens_per_char": self.tokens_per_char,
                "chars_per_token": self.chars_per_token, "bytes_per_token": self.bytes_per_token,
                "bytes_per_char": self.bytes_per_char}


@dataclass
class Measurement:
    tokenizer: str
    files: list[Counts] = field(default_factory=list)
    total: Counts = field(default_factory=lambda: Counts("TOTAL", files=0))

    def to_json(self) -> dict[str, Any]:
        return {"tokenizer": self.tokenizer, "files": [c.to_json() for c in self.files],
                "total": self.total.to_json(), "solve": solve_line(self.total)}


def load_tokenizer(path: str | Path) -> Any:
    """A `tokenizers.Tokenizer` from a local tokenizer.json (or a folder holding one)."""
    try:
        from tokenizers import Tokenizer
    except ImportError:
        raise keyed(EngineError, "tools.needs_tokenizers") from None
    path = Path(path)
    if path.is_dir():
        path = path / "tokenizer.json"
    if not path.is_file():
        raise keyed(MeasureError, "tools.no_tokenizer", path=path)
    try:
        return Tokenizer.from_file(str(path))
    except Exception as exc:  # noqa: BLE001 - the Rust side raises plain Exception for a bad file
        raise keyed(MeasureError, "tools.bad_tokenizer", path=path, reason=exc) from None


def corpus_files(paths: Iterable[str | Path]) -> list[Path]:
    """The files to measure: files as given, folders walked (sorted, hidden entries skipped)."""
    found: list[Path] = []
    for item in paths:
        path = Path(item)
        if path.is_file():
            found.append(path)
        elif path.is_dir():
            for root, dirs, files in os.walk(path):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                found += [Path(root) / f for f in sorted(files) if not f.startswith(".")]
        else:
            raise keyed(MeasureError, "tools.no_corpus", path=path)
    if not found:
        raise keyed(MeasureError, "tools.empty_corpus")
    return found


def measure(paths: Iterable[str | Path], tokenizer_path: str | Path, encoding: str = "utf-8") -> Measurement:
    """Counts per file and in total."""
    tokenizer = load_tokenizer(tokenizer_path)
    result = Measurement(str(tokenizer_path))
    for path in corpus_files(paths):
        counts = measure_file(tokenizer, path, encoding)
        result.files.append(counts)
        result.total.add(counts)
    return result


def measure_file(tokenizer: Any, path: Path, encoding: str = "utf-8") -> Counts:
    counts = Counts(str(path), bytes=path.stat().st_size)
    batch: list[str] = []
    for chunk in _chunks(path, encoding):
        counts.chars += len(chunk)
        batch.append(chunk)
        if len(batch) == BATCH:
            counts.tokens += _count(tokenizer, batch)
            batch = []
    if batch:
        counts.tokens += _count(tokenizer, batch)
    return counts


def _count(tokenizer: Any, texts: list[str]) -> int:
    return sum(len(e.ids) for e in tokenizer.encode_batch(texts, add_special_tokens=False))


def _chunks(path: Path, encoding: str) -> Iterator[str]:
    """About CHUNK_CHARS characters at a time, each ending at a line break (or the end of the file)."""
    try:
        with open(path, encoding=encoding, newline="") as handle:   # newline="": keep \r\n as written
            while True:
                chunk = handle.read(CHUNK_CHARS)
                if not chunk:
                    return
                if not chunk.endswith("\n"):
                    chunk += handle.readline()
                yield chunk
    except UnicodeDecodeError as exc:
        raise keyed(MeasureError, "tools.corpus_encoding", path=path, encoding=encoding, byte=exc.start,
                    reason=exc.reason) from None
    except LookupError:
        raise keyed(MeasureError, "tools.unknown_encoding", encoding=encoding) from None
    except OSError as exc:
        raise keyed(MeasureError, "tools.corpus_unreadable", path=path, reason=exc) from None


def solve_line(total: Counts, unique_tokens: str = "1T") -> str:
    """A ready-to-paste `llmplan solve` question that uses the measured figures."""
    if not total.tokens or not total.chars:
        return ""
    return (f"llmplan solve corpus_bytes unique_tokens={unique_tokens} "
            f"chars_per_token={total.chars_per_token:.6g} bytes_per_char={total.bytes_per_char:.6g}")
