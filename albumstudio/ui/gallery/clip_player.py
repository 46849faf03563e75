"""A clip played in the gallery's detail pane: Play / Stop and the time, through the app's own
playback engine (an audio clip, or the sound of a video clip under its cover frame).

The file is opened and the sound device asked for on a worker (a video's sound is decoded
whole, and PortAudio's first answer takes a moment). Without a sound device the pane says why in
one sentence and Play stays off; nothing is raised.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QWidget

from albumstudio.core.text import format_time
from albumstudio.jobs.runner import JobContext, JobRunner

if TYPE_CHECKING:
    from albumstudio.audio.player import AudioOutput, FrameSource, PlaybackEngine

PLAYABLE_EXTENSIONS = (".wav", ".flac", ".mp3", ".ogg", ".opus", ".m4a", ".mp4", ".webm")


def playable(ext: str) -> bool:
    return ext.lower() in PLAYABLE_EXTENSIONS


def _prepare(path: str) -> Any:
    """On a worker: the clip's sound as a source, and the device's rate or why there is none."""

    def job(ctx: JobContext) -> tuple[FrameSource, int, str]:
        from albumstudio.audio.player import AudioOutput, PlaybackUnavailable, open_source

        ctx.check_cancel()
        source = open_source(path)
        try:
            return source, AudioOutput.device_rate(), ""
        except PlaybackUnavailable as exc:
            return source, 0, exc.message

    return job


class ClipPlayer(QWidget):
    """Play / Stop, the time and a line saying why playback is off (when it is)."""

    def __init__(self, runner: JobRunner, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.path = ""
        self.duration = 0.0
        self.engine: PlaybackEngine | None = None
        self.output: AudioOutput | None = None
        self.reason = ""  # one sentence while playback is off
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.play_button = QPushButton("▶ Play")
        self.play_button.setAccessibleName("Play the clip")
        self.play_button.clicked.connect(self.toggle)
        self.time_label = QLabel("0:00.00 / 0:00.00")
        self.message = QLabel()
        self.message.setWordWrap(True)
        layout.addWidget(self.play_button)
        layout.addWidget(self.time_label)
        layout.addWidget(self.message, 1)
        self._timer = QTimer(self, interval=50)
        self._timer.timeout.connect(self._poll)
        self.hide()

    def load(self, path: str, duration: float) -> None:
        """Get ``path`` ready to play (on a worker); shows the player."""
        if path == self.path and (self.engine is not None or self.reason):
            self.show()
            return
        self.clear()
        self.path, self.duration = path, float(duration)
        self._show_time(0.0)
        self._set_playable(False, "Getting the clip ready to play…")
        self.show()
        handle = self.runner.submit("getting a clip ready to play", _prepare(path),
                                    key="gallery-clip")
        handle.finished.connect(lambda found, p=path: self._prepared(p, *found))
        handle.failed.connect(lambda problem, p=path: self._off(p, str(problem)))

    def _prepared(self, path: str, source: FrameSource, rate: int, reason: str) -> None:
        if path != self.path:
            source.close()
            return
        self.duration = source.frames / source.sample_rate if source.sample_rate else 0.0
        self._show_time(0.0)
        if not rate:
            source.close()
            self._off(path, reason)
            return
        from albumstudio.audio.player import AudioOutput, PlaybackEngine

        self.engine = PlaybackEngine(source, out_rate=rate, out_channels=2)
        self.output = AudioOutput(self.engine)
        self._set_playable(True, "")

    def _off(self, path: str, reason: str) -> None:
        if path == self.path:
            self.reason = reason
            self._set_playable(False, reason)

    def _set_playable(self, ok: bool, message: str) -> None:
        self.play_button.setEnabled(ok)
        self.play_button.setToolTip(message if not ok else "Play the clip here")
        self.message.setText(message)

    def toggle(self) -> None:
        """Play from where it stopped, or stop (back to the start) while it plays."""
        engine, output = self.engine, self.output
        if engine is None or output is None:
            return
        if engine.playing:
            self.stop()
            return
        from albumstudio.audio.player import PlaybackUnavailable

        try:
            engine.play()
            output.start()
        except PlaybackUnavailable as exc:
            engine.pause()
            self._release()
            self._off(self.path, exc.message)
            return
        self.play_button.setText("■ Stop")
        self._timer.start()

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.stop()
        if self.output is not None:
            self.output.stop()
        self._timer.stop()
        self.play_button.setText("▶ Play")
        self._show_time(0.0)

    @property
    def playing(self) -> bool:
        return self.engine is not None and self.engine.playing

    def _poll(self) -> None:
        engine = self.engine
        if engine is None:
            self._timer.stop()
            return
        self._show_time(engine.position_seconds)
        if not engine.playing:  # the clip ended (or its file failed: the engine says why)
            if engine.error:
                self.message.setText(engine.error)
            self.stop()

    def _show_time(self, seconds: float) -> None:
        self.time_label.setText(f"{format_time(seconds, True)} / "
                                f"{format_time(self.duration, True)}")

    def _release(self) -> None:
        self._timer.stop()
        output, engine = self.output, self.engine
        self.output = self.engine = None
        if output is not None:
            output.close()
        if engine is not None:
            engine.source.close()

    def clear(self) -> None:
        """Stop, let go of the device and the file, and hide."""
        self._release()
        self.path, self.reason = "", ""
        self.play_button.setText("▶ Play")
        self.hide()
