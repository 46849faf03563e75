"""Social videos of a clip: square 1080² or vertical 1080×1920 with the cover, the title and
artist and a waveform that fills as the clip plays; or a silent vertical loop of 3–8 s that
starts and ends on the same frame.

Frames are composed in YUV 4:2:0 (BT.709, the range H.264 players assume) straight into the
encoder's layout: the still background (the cover blurred behind itself, the sharp cover, the
words, the unplayed waveform) is composed and converted once; each frame only writes the
columns of the played waveform and progress bar that are new since the last one. The loop
redraws only the cover, which breathes on a cosine, so frame *i* and frame *N−1−i* are the same
picture and half of them are drawn.

H.264 (libx264, yuv420p) and AAC in MP4 where PyAV has them; otherwise VP9 (or VP8) and Opus
in WebM, which phones and browsers also play; the result's notes say which.
"""

from __future__ import annotations

import math
import os
import tempfile
import threading
from dataclasses import dataclass
from typing import Any

import numpy as np
from PIL import Image

from albumstudio.audio.clip_levels import Levels
from albumstudio.core.clip import VIDEO_SIZES, ClipRequest, ClipResult
from albumstudio.core.errors import CancelledError, InputError
from albumstudio.core.jobs import Progress, ProgressFn
from albumstudio.engines.video_frames import (
    Yuv420Frame,
    accent_colour,
    background,
    even,
    layout_for,
    load_cover,
    square_of,
    strips,
    to_yuv420,
    waveform_heights,
)

FRAME_BATCH = 15  # frames between progress reports and cancel checks
AUDIO_FRAME = 1024


@dataclass(frozen=True)
class VideoPlan:
    """The container and codecs a video is written with."""

    container: str
    video_codec: str
    audio_codec: str
    media: str
    extension: str
    words: str


PLANS = (
    VideoPlan("mp4", "libx264", "aac", "video/mp4", ".mp4", "H.264 and AAC in MP4"),
    VideoPlan("webm", "libvpx-vp9", "libopus", "video/webm", ".webm", "VP9 and Opus in WebM"),
    VideoPlan("webm", "libvpx", "libopus", "video/webm", ".webm", "VP8 and Opus in WebM"),
)


def has_encoder(name: str) -> bool:
    import av

    try:
        av.codec.Codec(name, "w")
    except Exception:  # noqa: BLE001 - PyAV raises several kinds for a missing codec
        return False
    return True


def choose_plan() -> tuple[VideoPlan, str]:
    """The first plan whose encoders are installed, and a note when it is not the first."""
    for plan in PLANS:
        if has_encoder(plan.video_codec) and has_encoder(plan.audio_codec):
            note = "" if plan is PLANS[0] else (
                f"fallback: this PyAV has no H.264/AAC encoder, so the video is {plan.words}, "
                "which phones and browsers also play")
            return plan, note
    from albumstudio.core.errors import InputError

    raise InputError("This installation of PyAV has no H.264, VP9 or VP8 encoder, so no video "
                     "can be made; install PyAV from PyPI (its wheels include them).")


# -- encoding ---------------------------------------------------------------------------------

def _audio_stream(container: Any, plan: VideoPlan, rate: int, layout: str) -> Any:
    stream = container.add_stream(plan.audio_codec, rate=rate, layout=layout)
    stream.bit_rate = 192_000
    if plan.audio_codec == "aac":
        stream.options = {"aac_coder": "fast"}
    return stream


def _audio_frame(block: np.ndarray, layout: str, rate: int, pts: int) -> Any:
    import av

    data = np.ascontiguousarray(block[:, :2].T if layout == "stereo" else block[:, :1].T,
                                dtype=np.float32)
    frame = av.AudioFrame.from_ndarray(data, format="fltp", layout=layout)
    frame.sample_rate = rate
    frame.pts = pts
    return frame


def sound_of(data: bytes) -> np.ndarray:
    """The audio stream of a finished video's bytes, decoded: (frames, channels) float64."""
    import io

    import av

    blocks = []
    with av.open(io.BytesIO(data), "r") as container:
        for frame in container.decode(audio=0):
            block = frame.to_ndarray()
            if not frame.format.is_planar:
                block = block.reshape(-1, len(frame.layout.channels)).T
            blocks.append(block.astype(np.float64))
    return np.concatenate(blocks, axis=1).T


class _Writer:
    """One container with a video stream and, for a clip, an audio stream fed in step."""

    def __init__(self, plan: VideoPlan, width: int, height: int, fps: int,
                 audio: np.ndarray | None, rate: int, same_ends: bool = False) -> None:
        import av

        # a real file (removed after): MP4's faststart rewrites it to put the index first
        handle, self.path = tempfile.mkstemp(prefix=".albumstudio-video-",
                                             suffix=plan.extension)
        os.close(handle)
        options = {"movflags": "+faststart"} if plan.container == "mp4" else {}
        self.container: Any = av.open(self.path, "w", format=plan.container, options=options)
        video: Any = self.container.add_stream(plan.video_codec, rate=fps)
        video.width, video.height, video.pix_fmt = width, height, "yuv420p"
        if plan.video_codec == "libx264":
            # a loop's first and last frames are both key frames at one fixed quantiser (no
            # adaptive quantisation, no look-ahead), so the same picture is coded the same
            rate_control = {"qp": "23"} if same_ends else {"crf": "20"}
            video.options = {"preset": "superfast", "tune": "stillimage", **rate_control,
                             "x264-params": "colorprim=bt709:transfer=bt709:colormatrix=bt709"}
        else:
            video.options = {"deadline": "realtime", "cpu-used": "8", "crf": "30", "b": "0"}
            video.bit_rate = 0
        self.video = video
        self.frames = 0
        self.audio_stream: Any = None
        self.audio = audio
        self.rate = rate
        self.audio_sent = 0
        self.fps = fps
        if audio is not None:
            layout = "stereo" if audio.shape[1] >= 2 else "mono"
            self.audio_stream = _audio_stream(self.container, plan, rate, layout)
            self.layout = layout

    def add(self, frame_data: np.ndarray, key: bool = False) -> None:
        import av

        frame = av.VideoFrame.from_ndarray(frame_data, format="yuv420p")
        frame.pts = self.frames
        if key:
            frame.pict_type = av.video.frame.PictureType.I
        self.frames += 1
        for packet in self.video.encode(frame):
            self.container.mux(packet)
        if self.audio is not None:
            self._audio_until(min(self.audio.shape[0],
                                  round(self.frames * self.rate / self.fps)))

    def _audio_until(self, end: int) -> None:

        assert self.audio is not None
        while self.audio_sent + AUDIO_FRAME <= end or (end == self.audio.shape[0]
                                                        and self.audio_sent < end):
            block = self.audio[self.audio_sent:self.audio_sent + AUDIO_FRAME]
            frame = _audio_frame(block, self.layout, self.rate, self.audio_sent)
            self.audio_sent += block.shape[0]
            for packet in self.audio_stream.encode(frame):
                self.container.mux(packet)

    def close(self) -> bytes:
        if self.audio is not None:
            self._audio_until(self.audio.shape[0])
            for packet in self.audio_stream.encode(None):
                self.container.mux(packet)
        for packet in self.video.encode(None):
            self.container.mux(packet)
        self.container.close()
        try:
            with open(self.path, "rb") as handle:
                return handle.read()
        finally:
            os.unlink(self.path)

    def abandon(self) -> None:
        try:
            self.container.close()
        except Exception:  # noqa: BLE001 - a half-written video is thrown away anyway
            pass
        try:
            os.unlink(self.path)
        except OSError:
            pass


def _report(progress: ProgressFn | None, cancel: threading.Event | None, done: int,
            total: int, words: str) -> None:
    if cancel is not None and cancel.is_set():
        raise CancelledError("making the video")
    if progress is not None:
        progress(Progress(0.1 + 0.9 * done / max(1, total), f"{words} (frame {done} of {total})",
                          step=done, total=total))


def clip_video(audio: np.ndarray, rate: int, cover: Image.Image, layout_name: str, title: str,
               artist: str, fps: int = 30, progress: ProgressFn | None = None,
               cancel: threading.Event | None = None,
               plan: VideoPlan | None = None) -> tuple[bytes, VideoPlan, int]:
    """A video of a normalised clip ((frames, channels) samples at ``rate``); its bytes, the
    plan it was written with and its number of frames."""
    plan = plan or choose_plan()[0]
    if plan.audio_codec == "libopus" and rate != 48000:
        from albumstudio.export.audio_export import resample

        audio, rate = resample(audio, rate, 48000), 48000
    layout = layout_for(layout_name)
    accent = accent_colour(cover)
    back = background(cover, layout, title, artist)
    wave_box, bar_box = layout.wave, layout.bar
    wave_off, wave_on = strips(back, wave_box, waveform_heights(audio, 90), accent)
    bar_off, bar_on = strips(back, bar_box, None, accent)
    canvas = Yuv420Frame(layout.width, layout.height)
    canvas.paste(np.asarray(back), 0, 0)
    canvas.paste(wave_off, wave_box[0], wave_box[1])
    canvas.paste(bar_off, bar_box[0], bar_box[1])
    played_wave, played_bar = to_yuv420(wave_on), to_yuv420(bar_on)
    total = max(1, round(audio.shape[0] / rate * fps))
    writer = _Writer(plan, layout.width, layout.height, fps, audio, rate)
    shown = 0
    try:
        for index in range(total):
            if index % FRAME_BATCH == 0:
                _report(progress, cancel, index, total, "Drawing the video")
            reach = even(wave_box[2] * (index + 1) / total)
            if reach > shown:  # only the columns played since the last frame change
                canvas.paste_columns(played_wave, wave_box[0], wave_box[1], shown, reach)
                canvas.paste_columns(played_bar, bar_box[0], bar_box[1], shown, reach)
                shown = reach
            writer.add(canvas.data)
        data = writer.close()
    except BaseException:
        writer.abandon()
        raise
    return data, plan, total


def loop_video(cover: Image.Image, title: str, artist: str, seconds: float, fps: int = 30,
               progress: ProgressFn | None = None, cancel: threading.Event | None = None,
               plan: VideoPlan | None = None) -> tuple[bytes, VideoPlan, int]:
    """A silent vertical loop: the cover breathes (a cosine zoom) and the glow under it with
    it; the first and the last frame are the same picture."""
    plan = plan or choose_plan()[0]
    layout = layout_for("loop")
    back = background(cover, layout, title, artist, with_cover=False)
    left, top, side = layout.cover
    margin = 40
    region = (left - margin, top - margin, side + 2 * margin)
    base = np.asarray(back.crop((region[0], region[1], region[0] + region[2],
                                 region[1] + region[2])), dtype=np.float32)
    big = square_of(cover, round(side * 1.06))
    accent = np.array(accent_colour(cover), dtype=np.float32)
    yy, xx = np.mgrid[0:region[2], 0:region[2]].astype(np.float32)
    centre = region[2] / 2
    distance = np.maximum(np.abs(xx - centre), np.abs(yy - centre)) - side / 2
    glow_shape = np.exp(-np.maximum(distance, 0) / 14.0)[..., None]
    canvas = Yuv420Frame(layout.width, layout.height)
    canvas.paste(np.asarray(back), 0, 0)
    total = max(2, round(seconds * fps))
    cache: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    writer = _Writer(plan, layout.width, layout.height, fps, None, 0, same_ends=True)
    try:
        for index in range(total):
            if index % FRAME_BATCH == 0:
                _report(progress, cancel, index, total, "Drawing the loop")
            twin = min(index, total - 1 - index)  # the cosine is symmetric: i and N-1-i agree
            if twin not in cache:
                phase = 0.5 - 0.5 * math.cos(2 * math.pi * twin / (total - 1))
                grown = side + even(side * 0.06 * phase)
                picture = base * (1 - 0.55 * phase * glow_shape) + accent * (
                    0.55 * phase * glow_shape)
                crop = (big.width - grown) // 2
                face = big.crop((crop, crop, crop + grown, crop + grown)).resize(
                    (side, side), Image.Resampling.BILINEAR)
                picture[margin:margin + side, margin:margin + side] = np.asarray(face)
                cache[twin] = to_yuv420(np.clip(picture, 0, 255).astype(np.uint8))
            y, u, v = cache[twin]
            canvas.paste_columns((y, u, v), region[0], region[1], 0, region[2])
            writer.add(canvas.data, key=index in (0, total - 1))
        data = writer.close()
    except BaseException:
        writer.abandon()
        raise
    return data, plan, total


class SocialVideoEngine:
    """Offline videos of the clip: nothing to load but the track and the picture."""

    def __init__(self) -> None:
        from albumstudio.engines.clip_audio import TrackAudio

        self.audio = TrackAudio()

    def run(self, request: ClipRequest, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None) -> ClipResult:
        from albumstudio.audio.clip_levels import CEILING_DBTP, cut, measure, normalise, to_stereo

        plan, note = choose_plan()
        cover = load_cover(request.image_path)
        options = request.options
        width, height = VIDEO_SIZES[options.layout]
        notes = [f"video: {plan.words}, {width}×{height}, {options.fps} fps"]
        if note:
            notes.append(note)
        if options.layout == "loop":
            data, plan, frames = loop_video(cover, request.title, request.artist,
                                            request.seconds, options.fps, progress, cancel, plan)
            return ClipResult(data, plan.media, frames / options.fps, width, height,
                              notes=tuple(notes), extension=plan.extension,
                              figures={"frames": frames})
        if progress is not None:
            progress(Progress(0.0, "Reading the track"))
        samples, rate = self.audio.segment(request.track_path, request.start_s,
                                           request.seconds, cancel)
        clip = to_stereo(cut(samples, rate, 0.0, request.seconds))
        if plan.audio_codec == "libopus" and rate != 48000:
            from albumstudio.export.audio_export import resample

            clip, rate = resample(clip, rate, 48000), 48000
        # the sound is measured as the video carries it: decoded back from the finished file;
        # a peak the audio encoder moved over the ceiling makes the video again, limited lower
        ceiling = CEILING_DBTP
        for _ in range(4):
            levelled, levels = normalise(clip, rate, ceiling_db=ceiling)
            data, plan, frames = clip_video(levelled, rate, cover, options.layout,
                                            request.title, request.artist, options.fps,
                                            progress, cancel, plan)
            lufs, peak = measure(sound_of(data), rate)
            if peak <= CEILING_DBTP:
                break
            ceiling -= peak - CEILING_DBTP + 0.1
        else:
            raise InputError(f"The video's {plan.audio_codec} encoder kept the clip's peaks over "
                             f"{CEILING_DBTP:g} dBTP; make an audio clip (WAV or FLAC) instead.")
        clip = levelled
        levels = Levels(levels.lufs_before, levels.gain_db, levels.limited_db, lufs, peak)
        notes.append(levels.words())
        return ClipResult(data, plan.media, clip.shape[0] / rate, width, height,
                          sample_rate=rate, notes=tuple(notes), extension=plan.extension,
                          figures={"frames": frames, "lufs": round(levels.lufs, 3),
                                   "true_peak_dbtp": round(levels.true_peak_dbtp, 3)})

    def unload(self) -> None:
        self.audio.unload()
