"""Bytes → text, with a reason a person understands when it cannot be done."""

from __future__ import annotations

from dataclasses import dataclass

# one article larger than this is refused (the whole file is never read)
MAX_BYTES = 20 * 1024 * 1024

_MAGIC = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"%PDF-", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"\x7fELF", "an executable"),
    (b"RIFF", "a RIFF media file"),
]


@dataclass
class Decoded:
    text: str | None
    error: str | None = None
    encoding: str | None = None


def sniff_binary(data: bytes) -> str | None:
    """Name the binary format of ``data``, or None when it may be text."""
    for magic, what in _MAGIC:
        if data.startswith(magic):
            return what
    if b"\x00" in data[:8192]:
        return "binary data (contains NUL bytes)"
    return None


def decode_bytes(data: bytes, declared: str | None = None) -> Decoded:
    """Decode ``data`` as UTF-8, else as its declared or detected charset."""
    if not data.strip():
        return Decoded(None, "empty")
    binary = sniff_binary(data)
    if binary:
        return Decoded(None, f"not text: looks like {binary}")
    try:
        return Decoded(data.decode("utf-8-sig"), encoding="utf-8")
    except UnicodeDecodeError:
        pass
    if declared:
        try:
            return Decoded(data.decode(declared), encoding=declared)
        except (UnicodeDecodeError, LookupError):
            pass
    from charset_normalizer import from_bytes

    best = from_bytes(data[:1_000_000]).best()
    if best is not None and best.encoding and best.chaos <= 0.2:
        try:
            return Decoded(data.decode(best.encoding), encoding=best.encoding)
        except (UnicodeDecodeError, LookupError):
            pass
    return Decoded(None, "not UTF-8 and no charset found")


def read_limited(path: str, max_bytes: int) -> tuple[bytes | None, str | None]:
    """Read a file unless it is larger than ``max_bytes`` (never loads it then)."""
    import os

    try:
        size = os.path.getsize(path)
    except OSError as e:
        return None, f"cannot read file: {e.strerror}"
    if size > max_bytes:
        return None, (f"too large: {size / 1e6:.1f} MB is over the {max_bytes / 1e6:.0f} MB limit for one "
                      f"article (raise it with --max-bytes)")
    try:
        with open(path, "rb") as fh:
            return fh.read(), None
    except OSError as e:
        return None, f"cannot read file: {e.strerror}"


def read_text(path: str, max_bytes: int) -> Decoded:
    """A whole file as text, or the reason it cannot be (too large, binary, undecodable)."""
    data, err = read_limited(path, max_bytes)
    if err:
        return Decoded(None, err)
    assert data is not None
    return decode_bytes(data)
