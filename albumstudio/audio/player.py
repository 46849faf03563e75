"""Playback on the sound device: AudioOutput opens PortAudio and calls PlaybackEngine.fill.

The device is opened at its own sample rate and the engine is built for that rate, so a
44.1 kHz file plays on a 48 kHz device. sounddevice is imported only inside functions: the
window paints first, and PortAudio may be missing (`import sounddevice` raises OSError).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

import numpy as np

from albumstudio.audio.playback_source import (
    ArraySource,
    FrameSource,
    PlaybackEngine,
    SoundFileSource,
    downmix_matrix,
)
from albumstudio.core.errors import UserFacingError

__all__ = [
    "ArraySource",
    "AudioOutput",
    "FrameSource",
    "PlaybackEngine",
    "PlaybackUnavailable",
    "SoundFileSource",
    "downmix_matrix",
    "open_source",
]

log = logging.getLogger(__name__)


class PlaybackUnavailable(UserFacingError):
    """The sound device cannot be used; the message is one sentence for a tooltip or status bar."""


def decode_to_array(path: str) -> ArraySource:
    """Decode a whole file with the app's decoder (PyAV for m4a/AAC); raises InputError."""
    from albumstudio.audio.decode import open_audio

    with open_audio(path) as reader:
        info = reader.info
        blocks = [np.asarray(block, dtype=np.float32) for block in reader.blocks()]
    if blocks:
        data = np.concatenate(blocks, axis=0)
    else:
        data = np.zeros((0, max(1, info.channels)), dtype=np.float32)
    return ArraySource(data, info.sample_rate)


def open_source(path: str) -> FrameSource:
    """A playback source for `path`: read on demand when libsndfile can, else decoded in memory.

    The fallback decodes the whole track (seconds for a long m4a): call it from a worker.
    Raises InputError when neither libsndfile nor the decoder can read the file.
    """
    try:
        return SoundFileSource(path)
    except (OSError, RuntimeError):
        pass
    return decode_to_array(path)


# -- the device ----------------------------------------------------------------------------

PORTAUDIO_MISSING = (
    "Playback is off: the PortAudio library is not installed "
    "(on Debian/Ubuntu: apt install libportaudio2)."
)
SOUNDDEVICE_MISSING = (
    "Playback is off: the sounddevice package is not installed (pip install sounddevice)."
)
NO_OUTPUT_DEVICE = (
    "Playback is off: no audio output device was found "
    "(plug in speakers or headphones, or check the system's sound settings)."
)
QUERY_FAILED = (
    "Playback is off: the sound system could not list its output devices "
    "(check the system's sound settings, then restart AlbumStudio)."
)
DEVICE_BUSY = (
    "Playback is off: the sound device is busy or unavailable "
    "(close other apps that use it, then try again)."
)
BAD_SAMPLE_RATE = (
    "Playback is off: the sound device accepts none of the sample rates AlbumStudio tried "
    "(choose another output device in the system's sound settings)."
)
OPEN_FAILED = (
    "Playback is off: the sound device could not be opened "
    "(check the system's sound settings, then try again)."
)
_PA_INVALID_SAMPLE_RATE = -9997
_PA_DEVICE_UNAVAILABLE = -9985

EngineFactory = Callable[[int, int], PlaybackEngine]


def _import_sounddevice() -> Any:
    """The sounddevice module; raises OSError when PortAudio is missing, ImportError without it."""
    import sounddevice

    return sounddevice


def _load_sounddevice() -> Any:
    try:
        return _import_sounddevice()
    except OSError as exc:
        raise PlaybackUnavailable(PORTAUDIO_MISSING) from exc
    except ImportError as exc:
        raise PlaybackUnavailable(SOUNDDEVICE_MISSING) from exc


def _describe(exc: BaseException) -> str:
    code = exc.args[1] if len(exc.args) > 1 and isinstance(exc.args[1], int) else None
    text = str(exc.args[0] if exc.args else exc).lower()
    if code == _PA_DEVICE_UNAVAILABLE or "unavailable" in text or "busy" in text:
        return DEVICE_BUSY
    if code == _PA_INVALID_SAMPLE_RATE or "sample rate" in text:
        return BAD_SAMPLE_RATE
    return OPEN_FAILED


def _output_device(sd: Any, device: int | str | None) -> dict[str, Any]:
    """The output device's description (the default one, else the first that can play)."""
    try:
        devices = list(sd.query_devices())
    except (sd.PortAudioError, ValueError) as exc:
        raise PlaybackUnavailable(QUERY_FAILED) from exc
    outputs = [d for d in devices if int(d.get("max_output_channels", 0)) > 0]
    if not outputs:
        raise PlaybackUnavailable(NO_OUTPUT_DEVICE)
    try:
        info = dict(sd.query_devices(device, kind="output"))
    except (sd.PortAudioError, ValueError) as exc:
        if device is not None:
            raise PlaybackUnavailable(NO_OUTPUT_DEVICE) from exc
        info = dict(outputs[0])
    if int(info.get("max_output_channels", 0)) < 1:
        raise PlaybackUnavailable(NO_OUTPUT_DEVICE)
    return info


def _candidate_rates(info: dict[str, Any]) -> list[int]:
    rates = [round(float(info.get("default_samplerate") or 0)), 48000, 44100]
    return [rate for rate in dict.fromkeys(rates) if rate > 0]


def _supported_rate(sd: Any, device: Any, channels: int, rates: list[int]) -> int:
    error: BaseException | None = None
    for rate in rates:
        try:
            sd.check_output_settings(device=device, channels=channels, dtype="float32",
                                     samplerate=rate)
            return rate
        except (sd.PortAudioError, ValueError) as exc:
            error = error or exc
    message = _describe(error) if error is not None else BAD_SAMPLE_RATE
    raise PlaybackUnavailable(message) from error


class AudioOutput:
    """A PortAudio output stream whose callback is `engine.fill`; it never leaves a thread.

    Pass an engine factory, called as factory(device_rate, channels) (for example
    `functools.partial(PlaybackEngine, source)`), so the engine resamples to the device's
    rate; an engine passed as is is played at its own out_rate, which the device may refuse.
    """

    def __init__(self, engine: PlaybackEngine | EngineFactory,
                 device: int | str | None = None) -> None:
        self._factory: EngineFactory | None = None if isinstance(engine, PlaybackEngine) else engine
        self._engine: PlaybackEngine | None = engine if isinstance(engine, PlaybackEngine) else None
        self._device = device
        self._stream: Any = None
        self._lock = threading.Lock()

    @staticmethod
    def check_available(device: int | str | None = None) -> tuple[bool, str]:
        """(True, '') when playback can work, else (False, one sentence for a tooltip)."""
        try:
            sd = _load_sounddevice()
            _output_device(sd, device)
        except PlaybackUnavailable as exc:
            return False, exc.message
        return True, ""

    @staticmethod
    def device_rate(device: int | str | None = None) -> int:
        """The rate start() opens the device at when given a factory; raises PlaybackUnavailable.

        Build an engine for this rate to pass one in directly (the device's default rate,
        else 48 or 44.1 kHz when the default is refused).
        """
        sd = _load_sounddevice()
        info = _output_device(sd, device)
        channels = min(2, int(info["max_output_channels"]))
        return _supported_rate(sd, info.get("index", device), channels, _candidate_rates(info))

    @property
    def engine(self) -> PlaybackEngine | None:
        """The engine being played: built by start() when a factory was given (and rebuilt if
    the device's rate changed when it was opened again), so read it after start()."""
        return self._engine

    @property
    def active(self) -> bool:
        with self._lock:
            return self._stream is not None and bool(self._stream.active)

    def start(self) -> None:
        """Open the device if needed and start calling the engine; raises PlaybackUnavailable."""
        with self._lock:
            sd = _load_sounddevice()
            if self._stream is None:
                self._stream = self._open(sd)
            try:
                if not self._stream.active:
                    self._stream.start()
            except (sd.PortAudioError, OSError, ValueError) as exc:
                self._close_stream()
                raise PlaybackUnavailable(_describe(exc)) from exc

    def stop(self) -> None:
        """Stop the callbacks (the engine keeps its position); the device stays open."""
        with self._lock:
            if self._stream is not None:
                try:
                    self._stream.stop()
                except Exception:
                    log.exception("stopping the audio stream failed")

    def close(self) -> None:
        """Stop and release the device; safe to call twice."""
        with self._lock:
            self._close_stream()

    def __enter__(self) -> AudioOutput:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _open(self, sd: Any) -> Any:
        info = _output_device(sd, self._device)
        device = info.get("index", self._device)
        channels = min(2, int(info["max_output_channels"]))
        if self._factory is None and self._engine is not None:
            rates = [self._engine.out_rate]
            channels = self._engine.out_channels
        else:
            rates = _candidate_rates(info)
        rate = _supported_rate(sd, device, channels, rates)
        engine = self._engine
        if engine is None or (engine.out_rate, engine.out_channels) != (rate, channels):
            assert self._factory is not None
            self._engine = self._factory(rate, channels)
        try:
            return sd.OutputStream(samplerate=rate, channels=channels, dtype="float32",
                                   device=device, callback=self._callback)
        except (sd.PortAudioError, OSError, ValueError) as exc:
            raise PlaybackUnavailable(_describe(exc)) from exc

    def _callback(self, outdata: np.ndarray, frames: int, time: Any, status: Any) -> None:
        engine = self._engine
        if engine is None:
            outdata.fill(0.0)
            return
        engine.fill(outdata)

    def _close_stream(self) -> None:
        stream, self._stream = self._stream, None
        if stream is None:
            return
        for step in (stream.stop, stream.close):
            try:
                step()
            except Exception:
                log.exception("closing the audio stream failed")
