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


# byte order marks of the encodings whose text holds NUL bytes (UTF-32 first: its LE mark starts with UTF-16's)
_BOMS = [
    (b"\xff\xfe\x00\x00", "utf-32"),
    (b"\x00\x00\xfe\xff", "utf-32"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
]


def _size(n: int) -> str:
    return f"{n / 1e6:.0f} MB" if n >= 1_000_000 else f"{n:,} bytes"


def too_large(max_bytes: int, size: int | None = None) -> str:
    """The rejection reason for an input over the per-article limit (``size`` when it is known)."""
    what = f"{size / 1e6:.1f} MB is over" if size is not None and size >= 1_000_000 else \
        f"{size:,} bytes are over" if size is not None else "over"
    return f"too large: {what} the {_size(max_bytes)} limit for one article (raise it with --max-bytes)"


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
    """Decode ``data`` as UTF-8 (or UTF-16/32 with a byte order mark), else as its declared or detected charset."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                text = data.decode(codec)  # the codec reads the mark and drops it
            except UnicodeDecodeError:
                name = codec.upper()
                return Decoded(None, f"not text: starts with a {name} byte order mark but is not {name}")
            return Decoded(text, encoding=codec) if text.strip() else Decoded(None, "empty")
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
        return None, too_large(max_bytes, size)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)  # the file may have grown since
    except OSError as e:
        return None, f"cannot read file: {e.strerror}"
    if len(data) > max_bytes:
        return None, too_large(max_bytes)
    return data, None


def read_text(path: str, max_bytes: int) -> Decoded:
    """A whole file as text, or the reason it cannot be (too large, binary, undecodable)."""
    data, err = read_limited(path, max_bytes)
    if err:
        return Decoded(None, err)
    assert data is not None
    return decode_bytes(data)
