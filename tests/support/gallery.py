"""What the gallery tests share: clips made here (a tone, a red video), a history filled before
the window opens, and selecting rows."""

from __future__ import annotations

import io
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from albumstudio.core.jobs import JobRecord, Output
from albumstudio.store.paths import DataPaths, default_paths

RED = (220, 30, 40)
Made = TypeVar("Made")


def wav_bytes(seconds: float = 2.0, rate: int = 22050) -> bytes:
    """A mono 220 Hz WAV that swells to the end."""
    import soundfile as sf

    t = np.arange(int(seconds * rate)) / rate
    tone = 0.8 * np.sin(2 * np.pi * 220 * t) * np.linspace(0, 1, t.size)  # swells to the end
    out = io.BytesIO()
    sf.write(out, tone.astype(np.float32), rate, format="WAV")
    return out.getvalue()


def mp4_bytes(path: Path) -> bytes:
    """Five red 64×64 frames at 10 fps, no sound, written to ``path``."""
    import av

    with av.open(str(path), "w") as container:
        stream = container.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 64, "yuv420p"
        picture = np.zeros((64, 64, 3), np.uint8)
        picture[:] = RED
        for _ in range(5):
            for packet in stream.encode(av.VideoFrame.from_ndarray(picture, format="rgb24")):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return path.read_bytes()


def clip_record(media: str, data: bytes, seconds: float, title: str) -> JobRecord:
    """A finished highlight clip entry with one output of ``media``."""
    return JobRecord(kind="clip", engine="highlight", request={"title": title}, request_version=1,
                     status="finished", outputs=(Output(media, data=data, duration_s=seconds,
                                                        width=64 if "video" in media else 0,
                                                        height=64 if "video" in media else 0),))


def select(panel: Any, *job_ids: int, first_output_only: bool = True) -> None:
    """Select the gallery rows of these entries (only each one's first variant by default)."""
    model, selection = panel.model, panel.view.selectionModel()
    selection.clearSelection()
    seen = set()
    for n, row in enumerate(model.rows()):
        if row.job_id in job_ids and (row.job_id not in seen or not first_output_only):
            selection.select(model.index(n), selection.SelectionFlag.Select)
            seen.add(row.job_id)


def history_made_by(make: Callable[[Any], Made]) -> tuple[DataPaths, Made]:
    """This test's data folder with what ``make(services)`` recorded in its history, the
    services closed again (as a window opened next will find it); and what ``make`` returned."""
    from albumstudio.services import Services

    paths = default_paths().ensure()
    services = Services.open(paths)
    try:
        made = make(services)
    finally:
        services.close()
    return paths, made
