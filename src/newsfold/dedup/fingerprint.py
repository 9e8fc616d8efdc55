"""Fingerprints: a normalized-content hash, word shingles and a MinHash signature.

Everything here is vectorized over a *batch* of texts with numpy, because
shingling text in Python is the floor under any MinHash library (see
``bench/dedup.py``):

1. each text is lower-cased and UTF-8 encoded, and the batch is joined into
   one byte buffer;
2. bytes are classified as word / non-word with a lookup table (ASCII letters
   and digits, and non-ASCII letters; Unicode quotes, dashes, no-break spaces
   and Latin-1 symbols count as separators, so ``Britain’s`` and
   ``Britain's`` give the same words);
3. a word's hash is the sum of a random 64-bit table entry per
   ``(position in word, byte)``, computed for all words at once with
   ``np.add.reduceat`` — stable across processes, unlike ``hash()``;
4. a shingle is ``k`` consecutive words: its hash mixes the ``k`` word hashes
   and never spans two texts;
5. the signature is a one-permutation MinHash (one hash per shingle, ``P``
   bins, minimum per bin, empty bins filled by rotation), O(shingles) rather
   than O(shingles × P).  ``bench/dedup.py`` compares it with datasketch and
   rensa on the same corpus, for speed and for recall against exact Jaccard.

The content hash covers the normalized word sequence, so copies that differ
only in case, punctuation or whitespace count as exact duplicates.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from collections.abc import Sequence

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_SHINGLE_SIZE = 5
DEFAULT_NUM_PERM = 128
DEFAULT_SEED = 1
EMPTY = np.uint32(0xFFFFFFFF)  # the value of a MinHash bin no shingle fell into

_M64 = 0xFFFFFFFFFFFFFFFF
CHUNK_BYTES = 1 << 22  # scratch arrays per slice of a batch stay around 100 MB at most
_RADIX = 0x100000001B3  # odd, so it has an inverse mod 2**64
_POW: list[np.ndarray] = []


def fmix64(x: np.ndarray) -> np.ndarray:
    """MurmurHash3's 64-bit finalizer, elementwise on a uint64 array (in place)."""
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xFF51AFD7ED558CCD)
    x ^= x >> np.uint64(33)
    x *= np.uint64(0xC4CEB9FE1A85EC53)
    x ^= x >> np.uint64(33)
    return x


def _word_lut() -> np.ndarray:
    lut = np.zeros(256, dtype=bool)
    for c in b"abcdefghijklmnopqrstuvwxyz0123456789":
        lut[c] = True
    lut[0x80:] = True  # UTF-8 lead/continuation bytes: letters unless fixed below
    return lut


_WORD = _word_lut()


def _powers(n: int) -> tuple[np.ndarray, np.ndarray]:
    """``R**i`` and ``R**-i`` mod 2**64 for ``i < n`` (cached, grown on demand)."""
    if not _POW or _POW[0].size < n:
        size = max(n, 1 << 16)
        pw = np.full(size, _RADIX, dtype=np.uint64)
        pw[0] = 1
        np.cumprod(pw, out=pw)
        inv = np.full(size, pow(_RADIX, -1, 1 << 64), dtype=np.uint64)
        inv[0] = 1
        np.cumprod(inv, out=inv)
        _POW[:] = [pw, inv]
    return _POW[0], _POW[1]


@dataclass
class ShingleBatch:
    """Shingle hashes of a batch of texts, flat, with per-text offsets.

    Text ``i`` owns ``hashes[offsets[i]:offsets[i+1]]`` (in text order, not
    unique).  ``n_words[i]`` counts its normalized words and
    ``content_hashes[i]`` is the hex digest of its normalized word sequence
    (``""`` for a text with no words).
    """

    hashes: np.ndarray
    offsets: np.ndarray
    n_words: np.ndarray
    content_hashes: list[str]

    def __len__(self) -> int:
        return len(self.n_words)

    def shingles(self, i: int) -> np.ndarray:
        """The sorted unique shingle hashes of text ``i`` (its shingle *set*)."""
        return sorted_unique(self.hashes[self.offsets[i]:self.offsets[i + 1]])


@dataclass
class Fingerprints:
    """Fingerprints of a batch of texts.

    ``signatures[i]`` is the MinHash of text ``i``; ``has_signature[i]`` is
    False for texts with no shingle (shorter than the shingle size): those
    never enter the LSH index, so they cannot match everything.
    """

    content_hashes: list[str]
    n_words: np.ndarray
    n_shingles: np.ndarray
    signatures: np.ndarray
    has_signature: np.ndarray
    shingles: ShingleBatch | None = field(default=None, repr=False)


class Shingler:
    """Turns texts into word-shingle hashes (``k`` words per shingle)."""

    def __init__(self, shingle_size: int = DEFAULT_SHINGLE_SIZE, seed: int = DEFAULT_SEED) -> None:
        if int(shingle_size) < 1:
            raise ValueError(f"shingle_size must be at least 1, got {shingle_size}")
        self.shingle_size = int(shingle_size)
        self.seed = int(seed)
        rng = np.random.default_rng(0xC0FFEE + self.seed)
        self._mult = rng.integers(0, 2**63, size=self.shingle_size, dtype=np.uint64) * np.uint64(2) + np.uint64(1)

    # ------------------------------------------------------------ words
    def word_hashes(self, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """Hashes of the normalized words of every text: ``(flat, offsets)``.

        Works on slices of at most :data:`CHUNK_BYTES` of the joined batch
        (cut between words), so a 10 MB article needs a bounded amount of
        scratch memory.
        """
        # bytes.lower() folds ASCII; Latin-1 capitals are folded in _slice_hashes
        encoded = [t.encode("utf-8", "replace").lower() for t in texts]
        n = len(encoded)
        lens = np.fromiter((len(e) for e in encoded), dtype=np.int64, count=n)
        # one separator byte after each text so no word spans two texts
        buf = np.frombuffer(b"\x00".join(encoded) + b"\x00", dtype=np.uint8)
        text_end = np.cumsum(lens + 1)
        parts_h: list[np.ndarray] = []
        parts_s: list[np.ndarray] = []
        lo = 0
        while lo < buf.size:
            hi = min(lo + CHUNK_BYTES, buf.size)
            if hi < buf.size:  # move the cut forward to a separator byte
                seps = np.flatnonzero(~_WORD[buf[hi:hi + 4096]] & (buf[hi:hi + 4096] < 0x80))
                hi = hi + int(seps[0]) + 1 if seps.size else hi
            wh, st = self._slice_hashes(buf[lo:hi])
            parts_h.append(wh)
            parts_s.append(st + lo)
            lo = hi
        wh = np.concatenate(parts_h) if parts_h else np.zeros(0, np.uint64)
        starts = np.concatenate(parts_s) if parts_s else np.zeros(0, np.int64)
        word_offsets = np.zeros(n + 1, dtype=np.int64)
        word_offsets[1:] = np.searchsorted(starts, text_end, side="left")
        return wh, word_offsets

    def _slice_hashes(self, buf: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Word hashes and word start positions in one byte slice.

        A word's hash is the polynomial ``sum(c_i * R**(i - start))`` mod
        2**64, read off prefix sums, then mixed.
        """
        word = ((buf - np.uint8(97)) < 26) | ((buf - np.uint8(48)) < 10)  # a-z, 0-9
        hi = np.flatnonzero(buf >= 0x80)
        if hi.size:
            word[hi] = True
            buf = self._fix_non_ascii(buf, hi, word)
        edge = np.empty(word.size + 1, dtype=bool)
        edge[0] = word[0]
        edge[-1] = word[-1]
        np.not_equal(word[1:], word[:-1], out=edge[1:-1])
        b = np.flatnonzero(edge)  # alternating starts and ends (exclusive)
        if b.size == 0:
            return np.zeros(0, np.uint64), np.zeros(0, np.int64)
        starts, ends = b[0::2], b[1::2]
        pw, ipw = _powers(buf.size + 1)
        prefix = np.zeros(buf.size + 1, dtype=np.uint64)
        np.cumsum(buf * pw[: buf.size], out=prefix[1:])
        wh = (prefix[ends] - prefix[starts]) * ipw[starts]
        fmix64(wh)
        return wh, starts

    @staticmethod
    def _fix_non_ascii(buf: np.ndarray, hi: np.ndarray, word: np.ndarray) -> np.ndarray:
        """Fold Latin-1 capitals; treat common non-letter UTF-8 sequences as separators.

        Only the non-ASCII positions ``hi`` are looked at, so ASCII text pays nothing.
        """
        n = buf.size
        lead = hi[hi < n - 1]
        b0, b1 = buf[lead], buf[lead + 1]
        # À–Þ (C3 80..9E, not ×) → à–þ
        up = lead[(b0 == 0xC3) & (b1 >= 0x80) & (b1 <= 0x9E) & (b1 != 0x97)]
        if up.size:
            buf = buf.copy()
            buf[up + 1] += np.uint8(0x20)
        # U+00A0–U+00BF Latin-1 punctuation and symbols (no-break space, «, », ·, £): C2 A0..BF
        l1 = lead[(b0 == 0xC2) & (b1 >= 0xA0) & (b1 <= 0xBF)]
        word[l1] = False
        word[l1 + 1] = False
        # U+2000–U+206F general punctuation (quotes, dashes, ellipsis, spaces): E2 80..81 xx;
        # U+3000–U+303F CJK punctuation: E3 80 xx
        three = lead[((b0 == 0xE2) & ((b1 == 0x80) | (b1 == 0x81))) | ((b0 == 0xE3) & (b1 == 0x80))]
        for k in range(3):
            word[np.minimum(three + k, n - 1)] = False
        return buf

    @staticmethod
    def _content_hashes(wh: np.ndarray, woff: np.ndarray, n_words: np.ndarray) -> list[str]:
        """128-bit hex digest of each text's word sequence ("" for no words).

        Two independent position-weighted sums of the word hashes mod 2**64,
        each mixed with the word count: vectorized over the batch.
        """
        n = n_words.size
        if wh.size == 0:
            return [""] * n
        doc = np.repeat(np.arange(n), n_words)
        pos = np.arange(wh.size, dtype=np.int64) - woff[doc]
        pw, _ = _powers(int(pos.max()) + 2)
        starts = woff[:-1][n_words > 0]
        h1 = np.add.reduceat(wh * pw[pos], starts)
        h2 = np.add.reduceat((wh ^ np.uint64(0x9E3779B97F4A7C15)) * pw[pos + 1], starts)
        cnt = n_words[n_words > 0].astype(np.uint64)
        h1 = fmix64(h1 ^ cnt)
        h2 = fmix64(h2 + cnt * np.uint64(0xC2B2AE3D27D4EB4F))
        digests = [f"{a:016x}{b:016x}" for a, b in zip(h1.tolist(), h2.tolist())]
        out = [""] * n
        for i, d in zip(np.flatnonzero(n_words > 0).tolist(), digests):
            out[i] = d
        return out

    # --------------------------------------------------------- shingles
    def shingle(self, texts: Sequence[str]) -> ShingleBatch:
        """Shingle hashes, word counts and content hashes of ``texts``."""
        wh, woff = self.word_hashes(texts)
        n = len(texts)
        k = self.shingle_size
        n_words = np.diff(woff)
        content = self._content_hashes(wh, woff, n_words)
        n_sh = np.maximum(n_words - k + 1, 0)
        offsets = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(n_sh, out=offsets[1:])
        total = int(offsets[-1])
        if total == 0:
            return ShingleBatch(np.zeros(0, np.uint64), offsets, n_words, content)
        m = wh.size
        # combine k consecutive word hashes for every start position
        comb = wh[: m - k + 1] * self._mult[0]
        for j in range(1, k):
            comb += wh[j: m - k + 1 + j] * self._mult[j]
        fmix64(comb)
        # keep start positions whose k words all belong to the same text
        doc_of_start = np.repeat(np.arange(n), n_sh)
        local = np.arange(total, dtype=np.int64) - offsets[doc_of_start]
        starts = woff[doc_of_start] + local
        return ShingleBatch(comb[starts], offsets, n_words, content)


class MinHasher:
    """One-permutation MinHash with rotation densification, vectorized.

    Each shingle hash picks one of ``num_perm`` bins (its top bits) and a
    32-bit value (its low bits); a text's signature is the minimum value per
    bin.  Empty bins take the value of the next non-empty bin to the right
    (circularly) plus a per-step offset, as in Shrivastava & Li (2014), so
    that two texts agree on a bin with probability close to their Jaccard.
    """

    def __init__(self, num_perm: int = DEFAULT_NUM_PERM, seed: int = DEFAULT_SEED) -> None:
        if num_perm < 2 or num_perm & (num_perm - 1):
            raise ValueError(f"num_perm must be a power of two ≥ 2, got {num_perm}")
        self.num_perm = int(num_perm)
        self.seed = int(seed)
        self._bits = self.num_perm.bit_length() - 1
        self._salt = np.uint64((0x9E3779B97F4A7C15 * (self.seed + 7)) & _M64)

    def signatures(self, batch: ShingleBatch) -> tuple[np.ndarray, np.ndarray]:
        """``(signatures (n, num_perm) uint32, has_signature (n,) bool)``."""
        n, p = len(batch), self.num_perm
        sig = np.full(n * p, EMPTY, dtype=np.uint32)
        counts = np.diff(batch.offsets)
        has = counts > 0
        if batch.hashes.size:
            h = batch.hashes ^ self._salt
            fmix64(h)
            bins = (h >> np.uint64(64 - self._bits)).astype(np.int64)
            vals = (h & np.uint64(0xFFFFFFFF)).astype(np.uint32)
            vals[vals == EMPTY] = EMPTY - np.uint32(1)
            doc = np.repeat(np.arange(n, dtype=np.int64), counts)
            np.minimum.at(sig, doc * p + bins, vals)
        sig = sig.reshape(n, p)
        self._densify(sig, has)
        return sig, has

    @staticmethod
    def _densify(sig: np.ndarray, has: np.ndarray) -> None:
        empty = sig == EMPTY
        rows = np.flatnonzero(empty.any(axis=1) & has)
        if rows.size == 0:
            return
        sub = sig[rows]
        p = sig.shape[1]
        e2 = np.concatenate([empty[rows], empty[rows]], axis=1)
        # index of the next non-empty bin at or after each position (over two laps)
        pos = np.where(e2, 2 * p, np.arange(2 * p)[None, :])
        nxt = np.minimum.accumulate(pos[:, ::-1], axis=1)[:, ::-1][:, :p]
        dist = (nxt - np.arange(p)[None, :]).astype(np.uint32)
        src = np.take_along_axis(np.concatenate([sub, sub], axis=1), nxt, axis=1)
        filled = src + dist * np.uint32(0x9E3779B1)
        sig[rows] = np.where(empty[rows], filled, sub)


class Fingerprinter:
    """Shingler + MinHasher: texts in, :class:`Fingerprints` out."""

    def __init__(self, shingle_size: int = DEFAULT_SHINGLE_SIZE, num_perm: int = DEFAULT_NUM_PERM,
                 seed: int = DEFAULT_SEED) -> None:
        self.shingler = Shingler(shingle_size, seed)
        self.minhasher = MinHasher(num_perm, seed)

    @property
    def shingle_size(self) -> int:
        return self.shingler.shingle_size

    @property
    def num_perm(self) -> int:
        return self.minhasher.num_perm

    def fingerprint(self, texts: Sequence[str], *, keep_shingles: bool = False) -> Fingerprints:
        """Fingerprints of ``texts``, computed in cache-sized sub-batches.

        ``n_shingles`` counts shingle positions (words − k + 1, at least 0).
        """
        parts = [self._fingerprint(texts[lo:hi], keep_shingles) for lo, hi in _sub_batches(texts)]
        if len(parts) == 1:
            return parts[0]
        shingles = None
        if keep_shingles:
            sb = [p.shingles for p in parts]
            offs = [np.zeros(1, np.int64)]
            base = 0
            for b in sb:
                assert b is not None
                offs.append(b.offsets[1:] + base)
                base += int(b.offsets[-1])
            shingles = ShingleBatch(np.concatenate([b.hashes for b in sb if b is not None]), np.concatenate(offs),
                                    np.concatenate([b.n_words for b in sb if b is not None]),
                                    [h for b in sb if b is not None for h in b.content_hashes])
        return Fingerprints([h for p in parts for h in p.content_hashes], np.concatenate([p.n_words for p in parts]),
                            np.concatenate([p.n_shingles for p in parts]),
                            np.vstack([p.signatures for p in parts]),
                            np.concatenate([p.has_signature for p in parts]), shingles)

    def _fingerprint(self, texts: Sequence[str], keep_shingles: bool) -> Fingerprints:
        batch = self.shingler.shingle(texts)
        sig, has = self.minhasher.signatures(batch)
        return Fingerprints(batch.content_hashes, batch.n_words, np.diff(batch.offsets), sig, has,
                            batch if keep_shingles else None)

    def shingle_sets(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Sorted unique shingle hashes per text (for exact verification)."""
        batch = self.shingler.shingle(texts)
        return [batch.shingles(i) for i in range(len(batch))]


SUB_BATCH_BYTES = 1 << 19  # numpy scratch arrays of a sub-batch stay in cache


def _sub_batches(texts: Sequence[str]) -> list[tuple[int, int]]:
    """``(lo, hi)`` ranges of ``texts`` of about :data:`SUB_BATCH_BYTES` characters each."""
    out, lo, size = [], 0, 0
    for i, t in enumerate(texts):
        size += len(t)
        if size >= SUB_BATCH_BYTES:
            out.append((lo, i + 1))
            lo, size = i + 1, 0
    if lo < len(texts) or not out:
        out.append((lo, len(texts)))
    return out


def sorted_unique(x: np.ndarray) -> np.ndarray:
    """``np.unique`` for a small uint64 array, by sorting (faster than numpy 2's hash path)."""
    x = np.sort(x)
    if x.size < 2:
        return x
    keep = np.empty(x.size, dtype=bool)
    keep[0] = True
    np.not_equal(x[1:], x[:-1], out=keep[1:])
    return x[keep]


def n_common(a: np.ndarray, b: np.ndarray) -> int:
    """How many values two sorted unique arrays share: a stable sort of both is a linear merge of two runs."""
    if a.size == 0 or b.size == 0:
        return 0
    both = np.concatenate((a, b))
    both.sort(kind="stable")
    return int(np.count_nonzero(both[1:] == both[:-1]))


def common_counts(a: np.ndarray, others: Sequence[np.ndarray]) -> np.ndarray:
    """How many values ``a`` shares with each of ``others`` (sorted unique uint64 hashes), in one pass.

    With many values to look up, ``a`` goes into a direct-mapped table on
    its top bits (the few that collide into a second one on the low bits,
    the rest into a sorted array), so each value of ``others`` costs one
    lookup; with few, the tables would cost more than they save and each
    set is merged with ``a`` (:func:`n_common`).  Exact: an empty slot
    holds a value that cannot map to it.
    """
    n = len(others)
    if not n or a.size == 0:
        return np.zeros(n, dtype=np.int64)
    bits = min(max(int(a.size).bit_length() + 4, 12), 20)
    if sum(o.size for o in others) < 3 << (bits - 1):  # too few lookups to pay for the tables: merge each
        return np.array([n_common(a, o) for o in others], dtype=np.int64)
    b = np.concatenate(others)
    hit = _table_hits(a, b, bits)
    ends = np.cumsum([o.size for o in others])
    seen = np.zeros(b.size + 1, dtype=np.int64)
    np.cumsum(hit, out=seen[1:])
    return np.diff(seen[ends], prepend=0)


def _table_hits(a: np.ndarray, b: np.ndarray, bits: int) -> np.ndarray:
    """``isin(b, a)`` through direct-mapped tables of ``2**bits`` slots (see :func:`common_counts`)."""
    top, low = _empty_tables(bits)
    shift, mask = np.uint64(64 - bits), np.uint64((1 << bits) - 1)
    table = top.copy()
    slot = a >> shift
    table[slot] = a
    hit = table[b >> shift] == b
    lost = a[table[slot] != a]  # values that lost their slot to another
    if lost.size:
        table = low.copy()
        slot = lost & mask
        table[slot] = lost
        hit |= table[b & mask] == b
        lost = lost[table[slot] != lost]
        if lost.size:
            idx = lost.searchsorted(b)
            np.minimum(idx, lost.size - 1, out=idx)
            hit |= lost[idx] == b
    return hit


_EMPTY: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _empty_tables(bits: int) -> tuple[np.ndarray, np.ndarray]:
    """Empty lookup tables: slot ``t`` holds a value whose top (low) bits are ``t + 1``, never ``t``."""
    got = _EMPTY.get(bits)
    if got is None:
        nxt = (np.arange(1 << bits, dtype=np.uint64) + np.uint64(1)) % np.uint64(1 << bits)
        got = _EMPTY[bits] = (nxt << np.uint64(64 - bits), nxt)
    return got


def overlap_arrays(inter: np.ndarray, na: np.ndarray, nb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """:func:`overlap` elementwise from shared counts and set sizes: ``(jaccard, containment)`` arrays."""
    inter, na, nb = (np.asarray(x, dtype=np.int64) for x in (inter, na, nb))
    both = (na > 0) & (nb > 0)
    union = np.where(both, na + nb - inter, 1)
    small = np.where(both, np.minimum(na, nb), 1)
    return np.where(both, inter / union, 0.0), np.where(both, inter / small, 0.0)


def jaccard(a: np.ndarray, b: np.ndarray) -> float:
    """Exact Jaccard of two sorted unique hash arrays (0 when either is empty)."""
    if a.size == 0 or b.size == 0:
        return 0.0
    inter = n_common(a, b)
    return inter / (a.size + b.size - inter)


def overlap(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """``(jaccard, containment of the smaller set in the larger)`` of two shingle sets."""
    if a.size == 0 or b.size == 0:
        return 0.0, 0.0
    inter = n_common(a, b)
    return inter / (a.size + b.size - inter), inter / min(a.size, b.size)


def signature_to_blob(sig: np.ndarray) -> bytes:
    return np.ascontiguousarray(sig, dtype="<u4").tobytes()


def blob_to_signature(blob: bytes) -> np.ndarray:
    return np.frombuffer(blob, dtype="<u4")
