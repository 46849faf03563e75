"""Gallery thumbnails of every kind of entry (Qt-free; the gallery calls it off the main thread).

Pictures and PDF posters are drawn by the history store (a PDF from the picture kept beside it
when the poster was made). Clips are not pictures: a video shows its cover frame (the first
frame: the cover, the title and the unplayed waveform), an audio clip a waveform drawn from its
samples. Either is made once and kept beside the file, as a PDF poster's picture is.
"""

from __future__ import annotations

import io

import numpy as np

from albumstudio.store.history import HistoryStore

VIDEO_EXTENSIONS = (".mp4", ".webm", ".mov", ".mkv")
AUDIO_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".aac")
PICTURE_SIDE = 512
BACKGROUND = (30, 32, 40)
WAVE = (120, 200, 255)


def thumbnail(store: HistoryStore, file_hash: str, ext: str, side: int) -> bytes:
    """A small PNG of any stored output; OSError when the file has gone or cannot be read."""
    try:
        return store.thumbnail_of(file_hash, ext, side)
    except OSError:
        if ext.lower() not in VIDEO_EXTENSIONS + AUDIO_EXTENSIONS:
            raise
    path = store.file_path(file_hash, ext)
    if not path.exists():
        raise OSError(f"the clip {file_hash[:12]}{ext} has gone")
    rgb = (video_frame(str(path)) if ext.lower() in VIDEO_EXTENSIONS
           else waveform_picture(str(path)))
    store.put_thumbnail(file_hash, side, _png(rgb), preview=True)
    return store.thumbnail_of(file_hash, ext, side)


def video_frame(path: str) -> np.ndarray:
    """The first frame of the video (the clip's cover frame) as RGB, at most PICTURE_SIDE."""
    import av
    from PIL import Image

    try:
        with av.open(path) as container:
            if not container.streams.video:
                raise OSError("the video has no picture")
            for frame in container.decode(video=0):
                image = frame.to_image().convert("RGB")  # type: ignore[no-untyped-call]
                break
            else:
                raise OSError("the video has no frame")
    except av.FFmpegError as exc:
        raise OSError(f"the video cannot be read: {exc}") from None
    image.thumbnail((PICTURE_SIDE, PICTURE_SIDE), Image.Resampling.LANCZOS)
    return np.asarray(image)


def waveform_picture(path: str, side: int = PICTURE_SIDE) -> np.ndarray:
    """A square picture of the clip's waveform: each column the peak of its stretch of time,
    drawn up and down from the middle."""
    from albumstudio.audio.decode import open_audio
    from albumstudio.core.errors import UserFacingError

    try:
        with open_audio(path) as reader:
            blocks = [np.abs(block).max(axis=1) for block in reader.blocks()]
    except UserFacingError as exc:
        raise OSError(str(exc)) from None
    level = np.concatenate(blocks) if blocks else np.zeros(1, np.float32)
    columns = side - 32
    edges = np.linspace(0, len(level), columns + 1).astype(int)
    peaks = np.array([level[a:b].max() if b > a else 0.0
                      for a, b in zip(edges[:-1], edges[1:], strict=True)])
    peaks = peaks / max(float(peaks.max()), 1e-6)
    picture = np.empty((side, side, 3), np.uint8)
    picture[:] = BACKGROUND
    middle, reach = side // 2, side // 2 - 40
    heights = np.maximum(1, (peaks * reach).astype(int))
    rows = np.arange(side)[:, None]
    lit = np.abs(rows - middle) <= heights[None, :]
    picture[:, 16:16 + columns][lit] = WAVE
    return picture


def _png(rgb: np.ndarray) -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.fromarray(rgb).save(out, "PNG")
    return out.getvalue()
