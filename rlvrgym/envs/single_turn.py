"""Old home of the text-environment base: `SingleTurnTextEnv` is `rlvrgym.envs.text.TextEnv` (one turn by default)."""

from __future__ import annotations

from rlvrgym.envs.text import MAX_COMPLETION_CHARS, MAX_PROMPT_CHARS, TextEnv

#: The one-turn case of `TextEnv`; the name stays for code written against it.
SingleTurnTextEnv = TextEnv

__all__ = ["MAX_COMPLETION_CHARS", "MAX_PROMPT_CHARS", "SingleTurnTextEnv", "TextEnv"]
