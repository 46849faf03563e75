"""What the gallery's detail pane says about an entry: every setting, the models with their
licences, timings, notes, and each variant's seed, state, length and format."""

from __future__ import annotations

import json

from albumstudio.core.jobs import JobRecord
from albumstudio.services.history import details

MEDIA_LABELS = {"image/png": "PNG picture", "image/jpeg": "JPEG picture",
                "application/pdf": "PDF (print)", "audio/wav": "WAV audio",
                "audio/flac": "FLAC audio", "audio/mpeg": "MP3 audio",
                "audio/ogg": "Ogg audio", "video/mp4": "MP4 video (H.264, AAC)",
                "video/webm": "WebM video"}


def media_label(media: str) -> str:
    return MEDIA_LABELS.get(media, media)


def detail_lines(record: JobRecord, shown_output: int = 0) -> list[str]:
    """The pane's lines for ``record``; ``shown_output`` is the id of the variant on show."""
    shown = details(record)
    lines = [f"entry {record.id}: {record.kind} by {record.engine}"
             + (" · favourite" if record.favourite else "")
             + (" · in the trash" if record.trashed else "")]
    lines += [f"{k}: {v if isinstance(v, str) else json.dumps(v, ensure_ascii=False)}"
              for k, v in shown["settings"].items()]
    lines += [f"model {m['role']}: {m['id']} ({m['license'] or 'licence not listed'})"
              for m in shown["models"]]
    if record.timings:
        lines.append("timings: " + ", ".join(f"{k} {v:.2f} s"
                                             for k, v in record.timings.items()))
    lines += [f"{n.kind}: {n.text}" for n in record.notes]
    for n, output in enumerate(record.outputs, start=1):
        if len(record.outputs) > 1:
            state = (" · favourite" if output.favourite else "") + (
                " · in the trash" if output.trashed is not None else "")
            here = " (shown)" if output.id == shown_output else ""
            lines.append(f"variant {n}{here}: seed {output.seed}{state}")
        if output.duration_s:
            lines.append(f"duration: {output.duration_s:.1f} s")
        lines.append(f"format: {media_label(output.media)}"
                     + (f", {output.width}×{output.height}" if output.width else ""))
    lines += [f"file: {o.path}" for o in record.outputs]
    return lines
