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
from PIL import Image, ImageDraw, ImageFilter

from albumstudio.core.clip import VIDEO_SIZES, ClipRequest, ClipResult
from albumstudio.core.errors import CancelledError
from albumstudio.core.jobs import Progress, ProgressFn

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


# -- pictures ---------------------------------------------------------------------------------

def to_yuv420(rgb: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """BT.709 limited-range Y (h, w), U and V (h/2, w/2) of an (h, w, 3) uint8 picture."""
    x = rgb.astype(np.float32)
    r, g, b = x[..., 0], x[..., 1], x[..., 2]
    y = 16.0 + (219.0 / 255.0) * (0.2126 * r + 0.7152 * g + 0.0722 * b)
    h, w = rgb.shape[:2]
    quad = 0.25 * (x[0::2, 0::2] + x[1::2, 0::2] + x[0::2, 1::2] + x[1::2, 1::2])
    r2, g2, b2 = quad[..., 0], quad[..., 1], quad[..., 2]
    u = 128.0 + (224.0 / 255.0) * (-0.1146 * r2 - 0.3854 * g2 + 0.5 * b2)
    v = 128.0 + (224.0 / 255.0) * (0.5 * r2 - 0.4542 * g2 - 0.0458 * b2)
    return tuple(np.clip(np.rint(p), 0, 255).astype(np.uint8) for p in (y, u, v))


class Yuv420Frame:
    """A picture in the encoder's yuv420p layout ((h·3/2, w) uint8), with writable views of
    its three planes."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.data = np.zeros((height * 3 // 2, width), dtype=np.uint8)
        quarter = height // 4
        self.y = self.data[:height]
        self.u = self.data[height:height + quarter].reshape(height // 2, width // 2)
        self.v = self.data[height + quarter:].reshape(height // 2, width // 2)

    def paste(self, rgb: np.ndarray, left: int, top: int) -> None:
        """Write an RGB picture at an even ``left``, ``top``."""
        y, u, v = to_yuv420(rgb)
        h, w = y.shape
        self.y[top:top + h, left:left + w] = y
        self.u[top // 2:(top + h) // 2, left // 2:(left + w) // 2] = u
        self.v[top // 2:(top + h) // 2, left // 2:(left + w) // 2] = v

    def paste_columns(self, planes: tuple[np.ndarray, np.ndarray, np.ndarray], left: int,
                      top: int, first: int, last: int) -> None:
        """Columns [first, last) (even) of converted planes placed at ``left``, ``top``."""
        y, u, v = planes
        h = y.shape[0]
        self.y[top:top + h, left + first:left + last] = y[:, first:last]
        rows = slice(top // 2, (top + h) // 2)
        cols = slice((left + first) // 2, (left + last) // 2)
        self.u[rows, cols] = u[:, first // 2:last // 2]
        self.v[rows, cols] = v[:, first // 2:last // 2]


def _even(value: float) -> int:
    return int(value) // 2 * 2


def load_cover(path: str) -> Image.Image:
    """The picture at ``path`` (InputError for a bad one), or a plain dark square."""
    if path:
        from albumstudio.vision.image_load import load_image

        return load_image(path)
    return Image.new("RGB", (1024, 1024), (38, 40, 52))


def _fill(image: Image.Image, width: int, height: int) -> Image.Image:
    scale = max(width / image.width, height / image.height)
    size = (max(width, round(image.width * scale)), max(height, round(image.height * scale)))
    big = image.resize(size, Image.Resampling.BILINEAR)
    left, top = (size[0] - width) // 2, (size[1] - height) // 2
    return big.crop((left, top, left + width, top + height))


def _square(image: Image.Image, side: int) -> Image.Image:
    return _fill(image, side, side).resize((side, side), Image.Resampling.LANCZOS) \
        if image.size != (side, side) else image


def accent_colour(cover: Image.Image) -> tuple[int, int, int]:
    """The cover's most vivid colour, lifted so it reads on the dark background."""
    small = np.asarray(cover.resize((48, 48), Image.Resampling.BILINEAR), dtype=np.float32)
    pixels = small.reshape(-1, 3)
    high, low = pixels.max(axis=1), pixels.min(axis=1)
    vivid = (high - low) * (high / 255.0)
    best = pixels[int(np.argmax(vivid))]
    if float(vivid.max()) < 40:  # a grey cover: a warm white
        return (240, 232, 220)
    scale = 235.0 / max(float(best.max()), 1.0)
    return tuple(int(min(255, c * scale)) for c in best)  # type: ignore[return-value]


def _text(draw: ImageDraw.ImageDraw, text: str, centre_x: int, top: int, size: int,
          width: int, weight: int, fill: tuple[int, int, int]) -> None:
    from albumstudio.engines.design_fonts import WORK_SANS, FontSpec, font_for_text, load_font

    if not text:
        return
    spec = font_for_text(FontSpec(WORK_SANS, weight), text)
    font = load_font(spec.file, size, spec.weight)
    shown = text
    while draw.textlength(shown, font=font) > width and len(shown) > 1:
        shown = shown[:-2].rstrip() + "…"
    draw.text((centre_x, top), shown, font=font, fill=fill, anchor="ma")


@dataclass(frozen=True)
class Layout:
    width: int
    height: int
    cover: tuple[int, int, int]  # left, top, side
    title_top: int
    artist_top: int
    wave: tuple[int, int, int, int]  # left, top, width, height
    bar: tuple[int, int, int, int]


def layout_for(name: str) -> Layout:
    width, height = VIDEO_SIZES[name]
    if name == "square":
        side = 600
        return Layout(width, height, (_even((width - side) / 2), 80, side), 712, 796,
                      (90, 880, 900, 110), (90, 1010, 900, 8))
    side = 880
    top = 300
    return Layout(width, height, (_even((width - side) / 2), top, side), top + side + 90,
                  top + side + 190, (90, top + side + 330, 900, 150),
                  (90, top + side + 510, 900, 10))


def background(cover: Image.Image, layout: Layout, title: str, artist: str,
               with_cover: bool = True) -> Image.Image:
    """The still picture: the cover blurred and darkened behind, the sharp cover, the words."""
    back = _fill(cover, layout.width // 8, layout.height // 8)
    back = back.filter(ImageFilter.GaussianBlur(3)).resize((layout.width, layout.height),
                                                           Image.Resampling.BICUBIC)
    back = Image.eval(back, lambda c: int(c * 0.42))
    left, top, side = layout.cover
    if with_cover:
        back.paste(_square(cover, side), (left, top))
    draw = ImageDraw.Draw(back)
    _text(draw, title, layout.width // 2, layout.title_top, 64, layout.width - 160, 700,
          (250, 250, 250))
    _text(draw, artist, layout.width // 2, layout.artist_top, 44, layout.width - 160, 400,
          (215, 215, 215))
    return back


def waveform_heights(samples: np.ndarray, bars: int) -> np.ndarray:
    """0..1 RMS of ``bars`` equal stretches of (frames, channels) samples."""
    mono = samples.mean(axis=1) if samples.ndim == 2 else samples
    edges = np.linspace(0, mono.size, bars + 1).astype(np.int64)
    rms = np.array([math.sqrt(float(np.mean(np.square(mono[a:b])))) if b > a else 0.0
                    for a, b in zip(edges[:-1], edges[1:], strict=True)])
    top = float(rms.max()) if rms.size else 0.0
    return np.clip(rms / top, 0.06, 1.0) if top > 0 else np.full(bars, 0.06)


def strips(back: Image.Image, box: tuple[int, int, int, int], heights: np.ndarray | None,
           played: tuple[int, int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The unplayed and played look of a waveform (or a bar when ``heights`` is None) over the
    background, as RGB arrays."""
    left, top, width, height = box
    base = back.crop((left, top, left + width, top + height))
    looks = []
    for colour in ((150, 150, 150), played):
        picture = base.copy()
        draw = ImageDraw.Draw(picture)
        if heights is None:
            draw.rectangle((0, 0, width, height), fill=colour)
        else:
            pitch = width / heights.size
            for i, h in enumerate(heights):
                tall = max(4, int(h * height))
                x0 = int(i * pitch)
                y0 = (height - tall) // 2
                draw.rounded_rectangle((x0, y0, x0 + max(2, int(pitch * 0.6)), y0 + tall),
                                       radius=3, fill=colour)
        looks.append(np.asarray(picture))
    return looks[0], looks[1]


# -- encoding ---------------------------------------------------------------------------------

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
            self.audio_stream = self.container.add_stream(plan.audio_codec, rate=rate,
                                                          layout=layout)
            self.audio_stream.bit_rate = 192_000
            if plan.audio_codec == "aac":
                self.audio_stream.options = {"aac_coder": "fast"}
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
        import av

        assert self.audio is not None
        while self.audio_sent + AUDIO_FRAME <= end or (end == self.audio.shape[0]
                                                        and self.audio_sent < end):
            block = self.audio[self.audio_sent:self.audio_sent + AUDIO_FRAME]
            data = np.ascontiguousarray(block[:, :2].T if self.layout == "stereo"
                                        else block[:, :1].T, dtype=np.float32)
            frame = av.AudioFrame.from_ndarray(data, format="fltp", layout=self.layout)
            frame.sample_rate = self.rate
            frame.pts = self.audio_sent
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
            reach = _even(wave_box[2] * (index + 1) / total)
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
    big = _square(cover, round(side * 1.06))
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
                grown = side + _even(side * 0.06 * phase)
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
        from albumstudio.audio.clip_levels import cut, normalise

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
        clip, levels = normalise(cut(samples, rate, 0.0, request.seconds), rate)
        notes.append(levels.words())
        data, plan, frames = clip_video(clip, rate, cover, options.layout, request.title,
                                        request.artist, options.fps, progress, cancel, plan)
        return ClipResult(data, plan.media, clip.shape[0] / rate, width, height,
                          sample_rate=rate, notes=tuple(notes), extension=plan.extension,
                          figures={"frames": frames, "lufs": round(levels.lufs, 3),
                                   "true_peak_dbtp": round(levels.true_peak_dbtp, 3)})

    def unload(self) -> None:
        self.audio.unload()
