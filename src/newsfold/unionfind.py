"""Disjoint sets over ``0..n-1`` (union-find with path halving): the groups that pairwise links make."""

from __future__ import annotations


class UnionFind:
    """``union(a, b)`` puts ``a`` and ``b`` in one set; ``find(x)`` names ``x``'s set by one of its members."""

    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, x: int) -> int:
        parent = self.parent
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    def union(self, a: int, b: int) -> None:
        """Join ``b``'s set to ``a``'s."""
        self.parent[self.find(b)] = self.find(a)

    def labels(self) -> list[int]:
        """One set number per element, 0, 1, … in the order the sets' first elements come."""
        order: dict[int, int] = {}
        return [order.setdefault(self.find(x), len(order)) for x in range(len(self.parent))]
