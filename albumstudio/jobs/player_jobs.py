"""Preparing a track for playback off the main thread (PyAV formats decode fully here)."""

from __future__ import annotations

from collections.abc import Callable

from albumstudio.jobs.runner import JobContext


def open_playback_source(path: str) -> Callable[[JobContext], object]:
    def job(ctx: JobContext) -> object:
        from albumstudio.audio.player import open_source

        ctx.check_cancel()
        return open_source(path)

    return job


def check_audio_device(ctx: JobContext) -> tuple[bool, str]:
    """(can play, why not): imports sounddevice and asks PortAudio for an output device."""
    from albumstudio.audio.player import AudioOutput

    return AudioOutput.check_available()
