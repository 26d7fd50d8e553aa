"""Graph helpers on index pairs (pure): connected components by union-find."""
from __future__ import annotations


def components(n: int, links: list[tuple[int, int]]) -> list[str]:
    """Connected-component label of every item (union-find over the links).

    >>> components(4, [(0, 2)])
    ['c2', 'c1', 'c2', 'c3']
    """
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for a, c in links:
        parent[root(a)] = root(c)
    return [f"c{root(i)}" for i in range(n)]
