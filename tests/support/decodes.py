"""Counting a track's decodes: every full read of a file goes through ``AudioReader.blocks``."""

from __future__ import annotations

from typing import Any

from albumstudio.audio import decode


def count_decodes(monkeypatch: Any) -> list[str]:
    """The paths decoded from now on (one entry per ``AudioReader.blocks`` call)."""
    decodes: list[str] = []
    blocks = decode.AudioReader.blocks

    def counted(self: decode.AudioReader, *args: Any, **kwargs: Any) -> Any:
        decodes.append(self.info.path)
        return blocks(self, *args, **kwargs)

    monkeypatch.setattr(decode.AudioReader, "blocks", counted)
    return decodes
