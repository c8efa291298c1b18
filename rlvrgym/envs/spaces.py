"""A Gymnasium `Text` space for natural-language and LaTeX text."""

from __future__ import annotations

import string
from typing import Any

from gymnasium.spaces import Text

#: What `sample()` draws from: ASCII plus a little LaTeX-adjacent and non-Latin text. Membership is wider (below).
SAMPLE_CHARSET = (string.printable.replace("\x0b", "").replace("\x0c", "")
                  + "αβγδεθλμπσφωΔΣΩ√∞≤≥≠±×÷°·∫∑ℝ中文字日本語éèüñ")

_ALLOWED_CONTROL = frozenset("\n\r\t")


class UnicodeText(Text):
    """Text whose membership admits any printable unicode plus newlines and tabs.

    Gymnasium's `Text` checks membership against an explicit charset; listing all ~150k printable code points
    per environment would cost megabytes, so membership is a predicate instead and sampling keeps a small charset.
    """

    def __init__(self, max_length: int, *, min_length: int = 0, seed: Any = None) -> None:
        super().__init__(max_length, min_length=min_length, charset=SAMPLE_CHARSET, seed=seed)

    def contains(self, x: Any) -> bool:
        return (isinstance(x, str) and self.min_length <= len(x) <= self.max_length
                and all(c.isprintable() or c in _ALLOWED_CONTROL for c in x))

    def __repr__(self) -> str:
        return f"UnicodeText({self.min_length}, {self.max_length}, charset=<printable unicode>)"

    def __eq__(self, other: Any) -> bool:
        return (isinstance(other, UnicodeText) and self.min_length == other.min_length
                and self.max_length == other.max_length)

    def __hash__(self) -> int:
        return hash(("UnicodeText", self.min_length, self.max_length))
