"""Playback in the window: a controller around the audio engine, and the transport bar bound to it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSlider, QToolButton, QWidget

from albumstudio.core.text import format_time
from albumstudio.store.settings import Settings
from albumstudio.ui.elided_label import ElidedLabel
from albumstudio.ui.track_session import TrackSession

if TYPE_CHECKING:
    from albumstudio.audio.player import AudioOutput, PlaybackEngine

NO_TRACK_TIP = "Open a track to play it."


class PlayerController(QObject):
    """Owns the output stream; the playhead moves (seek) even when no audio device exists."""

    position_changed = Signal(float)
    playing_changed = Signal(bool)
    availability_changed = Signal(bool, str)  # can play, why not (one sentence)

    def __init__(self, session: TrackSession, settings: Settings, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.session = session
        self.settings = settings
        self.device_ok: bool | None = None  # None until checked
        self.device_reason = ""
        self.engine: PlaybackEngine | None = None
        self.output: AudioOutput | None = None  # set and cleared with the engine
        self.duration = 0.0
        self.position = 0.0
        self.selection: tuple[float, float] | None = None
        self.looping = False
        self._checking = False
        self._timer = QTimer(self, interval=30)
        self._timer.timeout.connect(self._poll)
        session.loading_started.connect(self._on_loading)
        session.info_changed.connect(self._on_info)

    # -- device ------------------------------------------------------------------------------
    def check_device(self) -> None:
        """Ask PortAudio, on a worker, whether we can play (its first call takes ~0.1–0.3 s)."""
        if self.device_ok is not None or self._checking:
            return
        from albumstudio.jobs.player_jobs import check_audio_device

        self._checking = True
        handle = self.session.runner.submit("checking the audio output", check_audio_device,
                                            key="device")
        handle.finished.connect(self._on_device_checked)
        handle.failed.connect(lambda msg: self._on_device_checked((False, msg)))

    def _on_device_checked(self, result: tuple[bool, str]) -> None:
        self._checking = False
        self.device_ok, self.device_reason = bool(result[0]), str(result[1])
        self.availability_changed.emit(self.can_play, self.reason)
        info = self.session.info
        if self.device_ok and info is not None and self.engine is None:
            self._prepare(info)

    @property
    def can_play(self) -> bool:
        return bool(self.device_ok) and self.engine is not None

    @property
    def reason(self) -> str:
        if self.device_ok is False:
            return self.device_reason
        if self.engine is None:
            return NO_TRACK_TIP
        return ""

    # -- track -------------------------------------------------------------------------------
    def _on_loading(self, _path: str) -> None:
        self._close_output()
        self.duration = 0.0
        self.selection = None
        self.set_position(0.0)
        self.availability_changed.emit(False, self.reason)

    def _on_info(self, info) -> None:
        if info is None:
            return
        self.duration = info.duration
        self.set_position(self.position)  # the length shows even when nothing can play
        if self.device_ok is None:
            self.check_device()  # prepares the track when the answer comes
        elif self.device_ok:
            self._prepare(info)

    def _prepare(self, info) -> None:
        from albumstudio.jobs.player_jobs import open_playback_source

        path = info.path
        handle = self.session.runner.submit("preparing playback", open_playback_source(path),
                                            key="playback")
        handle.finished.connect(lambda src, p=path: self._on_source(p, src))
        handle.failed.connect(self._on_playback_error)

    def _on_source(self, path: str, source) -> None:
        if path != self.session.path:
            source.close()
            return
        from albumstudio.audio.player import AudioOutput, PlaybackEngine, PlaybackUnavailable

        try:
            rate = AudioOutput.device_rate()
            engine = PlaybackEngine(source, out_rate=rate, out_channels=2)
            engine.volume = self.settings.volume
            output = AudioOutput(engine)
        except PlaybackUnavailable as exc:
            self._on_playback_error(str(exc))
            return
        self.engine, self.output = engine, output
        engine.seek(self.position)
        self._apply_loop()
        self.availability_changed.emit(True, "")

    def _on_playback_error(self, message: str) -> None:
        self.device_ok, self.device_reason = False, message
        self._close_output()
        self.availability_changed.emit(False, message)

    def _close_output(self) -> None:
        self._timer.stop()
        if self.output is not None:
            self.output.close()
        if self.engine is not None:
            self.engine.source.close()
        self.output, self.engine = None, None
        self.playing_changed.emit(False)

    # -- transport ---------------------------------------------------------------------------
    def toggle(self) -> None:
        if not self.can_play:
            return
        engine, output = self.engine, self.output
        assert engine is not None and output is not None  # can_play: a prepared track
        if engine.playing:
            engine.pause()
            self._timer.stop()
        else:
            from albumstudio.audio.player import PlaybackUnavailable

            try:
                engine.play()
                output.start()
            except PlaybackUnavailable as exc:
                self._on_playback_error(str(exc))
                return
            self._timer.start()
        self.playing_changed.emit(engine.playing)

    def stop(self) -> None:
        if self.engine is not None:
            self.engine.pause()
        self._timer.stop()
        self.playing_changed.emit(False)
        self.seek(self.selection[0] if self.selection and self.looping else 0.0)

    def seek(self, seconds: float) -> None:
        seconds = min(max(0.0, float(seconds)), self.duration or 0.0)
        if self.engine is not None:
            self.engine.seek(seconds)
        self.set_position(seconds)

    def seek_end(self) -> None:
        self.seek(self.duration)

    def set_position(self, seconds: float) -> None:
        self.position = seconds
        self.position_changed.emit(seconds)

    def set_selection(self, start: float, end: float) -> None:
        self.selection = (start, end) if 0 <= start < end else None
        self._apply_loop()

    def set_looping(self, on: bool) -> None:
        self.looping = bool(on)
        self._apply_loop()

    def _apply_loop(self) -> None:
        if self.engine is None:
            return
        if self.looping and self.selection:
            self.engine.set_loop(*self.selection)
        else:
            self.engine.clear_loop()

    def set_volume(self, volume: float) -> None:
        self.settings.volume = min(1.0, max(0.0, volume))
        if self.engine is not None:
            self.engine.volume = self.settings.volume

    def _poll(self) -> None:
        if self.engine is None:
            self._timer.stop()
            return
        self.set_position(self.engine.position_seconds)
        if not self.engine.playing:
            self._timer.stop()
            self.playing_changed.emit(False)

    def close(self) -> None:
        self._close_output()


class TransportBar(QWidget):
    """Play/pause, stop, loop, time and volume; disabled with the reason as a tooltip."""

    def __init__(self, player: PlayerController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.player = player
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        self.play_button = QToolButton()
        self.play_button.setText("▶")
        self.play_button.setFixedWidth(44)
        self.stop_button = QToolButton()
        self.stop_button.setText("■")
        self.loop_button = QToolButton()
        self.loop_button.setText("⟲ Loop")
        self.loop_button.setCheckable(True)
        self.time_label = QLabel("0:00.00 / 0:00.00")
        self.time_label.setMinimumWidth(150)
        self.volume = QSlider(Qt.Orientation.Horizontal)
        self.volume.setRange(0, 100)
        self.volume.setValue(int(player.settings.volume * 100))
        self.volume.setFixedWidth(110)
        self.volume.setToolTip("Volume")
        self.message = ElidedLabel("")  # elided to its room; the whole sentence in its tooltip
        self.message.setObjectName("placeholder")
        for widget in (self.play_button, self.stop_button, self.loop_button, self.time_label):
            layout.addWidget(widget)
        layout.addWidget(self.message, 1)
        layout.addWidget(QLabel("Volume"))
        layout.addWidget(self.volume)
        self.play_button.clicked.connect(player.toggle)
        self.stop_button.clicked.connect(player.stop)
        self.loop_button.toggled.connect(player.set_looping)
        self.volume.valueChanged.connect(lambda v: player.set_volume(v / 100))
        player.availability_changed.connect(self.set_available)
        player.playing_changed.connect(lambda on: self.play_button.setText("❚❚" if on else "▶"))
        player.position_changed.connect(self._show_time)
        self.set_available(False, NO_TRACK_TIP)

    def set_available(self, ok: bool, reason: str) -> None:
        for widget in (self.play_button, self.stop_button, self.loop_button, self.volume):
            widget.setEnabled(ok)
            widget.setToolTip(reason if not ok else "")
        self.play_button.setToolTip(reason if not ok else "Play / pause (Space)")
        self.message.setText(reason if not ok and reason != NO_TRACK_TIP else "")

    def _show_time(self, seconds: float) -> None:
        total = self.player.duration
        self.time_label.setText(f"{format_time(seconds, True)} / {format_time(total, True)}")
