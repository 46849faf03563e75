"""The Music tab: new music from the canvas picture or the loaded track, with MusicGen.

Read the source (the picture's colours, texture and caption, or the track's own figures and
tags) into attributes, shown with the reason for each and editable; the prompt follows the
attributes (or the artist's own words); Generate runs on the window's model queue with
progress and Cancel; the clip is kept in the history and plays through the app's playback
engine. When MusicGen is not installed the tab says which model is missing and how to get it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.errors import Problem, UserFacingError
from albumstudio.core.jobs import JobRecord, Progress
from albumstudio.core.model_registry import default_model, model_with
from albumstudio.core.music_attributes import NUMERIC, MusicAttributes, prompt_for

PICTURE, TRACK = "picture", "track"


def ask_licence(parent: QWidget, sentence: str) -> bool:  # pragma: no cover - a native dialog
    answer = QMessageBox.question(parent, "MusicGen's licence", f"{sentence}\n\nContinue?")
    return answer == QMessageBox.StandardButton.Yes


class MusicPanel(QWidget):
    """Source, attributes (with reasons), prompt, seed/guidance/length, Generate/Cancel, result."""

    attributes_changed = Signal(object)  # MusicAttributes
    made = Signal(object)  # the JobRecord of a finished clip
    problem = Signal(object)  # Problem

    def __init__(self, model_queue: Any, runner: Any, services: Any,
                 picture_path: Callable[[], str | None],
                 track_path: Callable[[], str | None], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.queue, self.runner, self.services = model_queue, runner, services
        self.picture_path, self.track_path = picture_path, track_path
        self.confirm_licence: Callable[[str], bool] = lambda s: ask_licence(self, s)
        self.attributes: MusicAttributes | None = None
        self.track_hash = ""
        self.record: JobRecord | None = None
        self.handle: Any = None
        self.playback: Any = None  # (engine, output) while a clip is prepared for playing
        self.device_checked = False  # whether the sound device was looked for (off the UI)
        self._own_prompt = False
        self._filling = False

        self.source_box = QComboBox()
        self.source_box.addItem("The picture on the canvas", PICTURE)
        self.source_box.addItem("The loaded track", TRACK)
        self.source_box.setAccessibleName("Music source")
        self.read_button = QPushButton("Read Attributes")
        self.read_button.clicked.connect(self.read_source)
        source_row = QHBoxLayout()
        source_row.addWidget(self.source_box, 1)
        source_row.addWidget(self.read_button)

        form = QFormLayout()
        self.genre = QLineEdit()
        self.key = QLineEdit()
        self.tempo = QSpinBox()
        self.tempo.setRange(40, 220)
        self.tempo.setSuffix(" BPM")
        self.numbers = {name: QDoubleSpinBox() for name in NUMERIC}
        for box in self.numbers.values():
            box.setRange(0.0, 1.0)
            box.setSingleStep(0.05)
            box.setDecimals(2)
        self.instruments = QLineEdit()
        self.instruments.setPlaceholderText("e.g. piano, strings")
        self.fields: dict[str, QWidget] = {"genre": self.genre, "key": self.key,
                                           "tempo": self.tempo, **self.numbers,
                                           "instruments": self.instruments}
        self.reasons: dict[str, QLabel] = {}
        for name, widget in self.fields.items():
            widget.setAccessibleName(f"Music {name}")
            widget.setEnabled(False)
            reason = QLabel()
            reason.setWordWrap(True)
            reason.setStyleSheet("color: palette(mid); font-size: 11px;")
            self.reasons[name] = reason
            column = QVBoxLayout()
            column.setSpacing(0)
            column.addWidget(widget)
            column.addWidget(reason)
            form.addRow(name.capitalize(), column)
        for line in (self.genre, self.key, self.instruments):
            line.editingFinished.connect(self._edited)
        self.tempo.valueChanged.connect(self._edited)
        for box in self.numbers.values():
            box.valueChanged.connect(self._edited)

        self.prompt = QPlainTextEdit()
        self.prompt.setAccessibleName("Music prompt")
        self.prompt.setPlaceholderText("Read the attributes of the picture or the track first.")
        self.prompt.setMaximumHeight(90)
        self.prompt.textChanged.connect(self._prompt_typed)
        settings = QFormLayout()
        self.seconds = QDoubleSpinBox()
        self.seconds.setRange(1.0, 120.0)
        self.seconds.setValue(10.0)
        self.seconds.setSuffix(" s")
        self.seconds.setToolTip("Over 30 s, MusicGen continues window by window.")
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.guidance = QDoubleSpinBox()
        self.guidance.setRange(1.0, 15.0)
        self.guidance.setValue(3.0)
        self.model = QLineEdit()
        self.model.setPlaceholderText(f"{default_model('musicgen')} (or a model folder)")
        self.model.editingFinished.connect(self.check_model)
        for label, widget in (("Length", self.seconds), ("Seed", self.seed),
                              ("Guidance", self.guidance), ("Model", self.model)):
            widget.setAccessibleName(f"Music {label.lower()}")
            settings.addRow(label, widget)
        self.follow_melody = QCheckBox("Follow the loaded track's melody")
        self.follow_melody.setToolTip(f"Needs a MusicGen melody model "
                                      f"({model_with('musicgen', 'melody')}); clips of up to 30 s.")
        settings.addRow("", self.follow_melody)

        self.model_state = QLabel()
        self.model_state.setWordWrap(True)
        self.generate_button = QPushButton("Generate Music")
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        self.cancel_button.clicked.connect(self.cancel)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setVisible(False)
        buttons = QHBoxLayout()
        buttons.addWidget(self.generate_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        self.status = QLabel("Choose a source and read its attributes.")
        self.status.setWordWrap(True)
        self.status.setAccessibleName("Music status")
        self.play_button = QPushButton("Play")
        self.play_button.setEnabled(False)
        self.play_button.clicked.connect(self.toggle_play)
        self.save_button = QPushButton("Save…")
        self.save_button.setEnabled(False)
        self.save_button.clicked.connect(self.choose_and_save)
        result_row = QHBoxLayout()
        result_row.addWidget(self.play_button)
        result_row.addWidget(self.save_button)
        result_row.addStretch(1)

        layout = QVBoxLayout(self)
        layout.addLayout(source_row)
        layout.addLayout(form)
        layout.addWidget(QLabel("Prompt"))
        layout.addWidget(self.prompt)
        layout.addLayout(settings)
        layout.addWidget(self.model_state)
        layout.addLayout(buttons)
        layout.addWidget(self.progress)
        layout.addWidget(self.status)
        layout.addLayout(result_row)
        layout.addStretch(1)
        self.model_ok = False
        self._model_checked_once = False  # the check runs when the tab is first shown

    def showEvent(self, event: Any) -> None:  # noqa: N802 - Qt's name
        super().showEvent(event)
        if not self._model_checked_once:
            self._model_checked_once = True
            self.check_model()

    # -- the model --------------------------------------------------------------------------
    def model_id(self) -> str:
        return self.model.text().strip()

    def check_model(self) -> None:
        """Say honestly whether MusicGen's files are here (read on a worker: it may look in the
        hub cache)."""
        music, model = self.services.music, self.model_id() or None
        handle = self.runner.submit("checking MusicGen", lambda ctx: music.model_problem(model),
                                    key="music-model")
        handle.finished.connect(self._model_checked)

    def _model_checked(self, problem: str | None) -> None:
        self.model_ok = problem is None
        self.model_state.setText(problem or "MusicGen is installed. Its weights are licensed "
                                 "CC-BY-NC 4.0: what you make with it is for non-commercial use.")
        self._enable()

    def _enable(self) -> None:
        busy = self.handle is not None
        self.generate_button.setEnabled(self.model_ok and not busy and bool(
            self.prompt.toPlainText().strip()))
        self.cancel_button.setEnabled(busy)
        self.read_button.setEnabled(not busy)

    # -- attributes and prompt ----------------------------------------------------------------
    def read_source(self) -> None:
        kind = str(self.source_box.currentData())
        path = self.picture_path() if kind == PICTURE else self.track_path()
        if not path:
            self._failed(Problem("Open a picture on the canvas first." if kind == PICTURE
                                 else "Open a track first."))
            return
        music = self.services.music
        read = music.from_picture if kind == PICTURE else music.from_track
        self.status.setText(f"Reading the {kind}…")
        handle = self.runner.submit(f"reading the {kind} for music",
                                    lambda ctx: read(path, ctx.cancel, ctx.progress),
                                    key="music-source")
        handle.finished.connect(self._source_read)
        handle.failed.connect(self._failed)

    def _source_read(self, source: Any) -> None:
        self.track_hash = source.track_hash
        self._own_prompt = False
        self.set_attributes(source.attributes)
        words = f" ({source.words})" if source.words else ""
        self.status.setText(f"Attributes read from the {source.kind}{words}.")

    def set_attributes(self, attributes: MusicAttributes) -> None:
        """Show ``attributes`` with their reasons; the prompt follows unless the artist wrote it."""
        self.attributes = attributes
        self._filling = True
        try:
            self.genre.setText(attributes.genre)
            self.key.setText(attributes.key)
            self.tempo.setValue(attributes.tempo)
            for name, box in self.numbers.items():
                box.setValue(getattr(attributes, name))
            self.instruments.setText(", ".join(attributes.instruments))
            for name, label in self.reasons.items():
                label.setText(attributes.reason(name))
                self.fields[name].setToolTip(attributes.reason(name))
                self.fields[name].setEnabled(True)
            if not self._own_prompt:
                self.prompt.setPlainText(prompt_for(attributes))
        finally:
            self._filling = False
        self._enable()
        self.attributes_changed.emit(attributes)

    def _edited(self) -> None:
        if self._filling or self.attributes is None:
            return
        values = {"genre": self.genre.text(), "key": self.key.text(),
                  "tempo": self.tempo.value(), "instruments": self.instruments.text(),
                  **{name: box.value() for name, box in self.numbers.items()}}
        try:
            edited = self.attributes.edited(**values)
        except UserFacingError as exc:
            self._failed(Problem(exc.message, exc.action))
            return
        if edited.to_dict() != self.attributes.to_dict():
            self.set_attributes(edited)

    def _prompt_typed(self) -> None:
        if not self._filling and self.attributes is not None:
            self._own_prompt = self.prompt.toPlainText() != prompt_for(self.attributes)
        self._enable()

    # -- generating -------------------------------------------------------------------------
    def generate(self) -> None:
        if self.attributes is None or self.handle is not None:
            return
        music = self.services.music
        melody = ""
        if self.follow_melody.isChecked():
            melody = self.track_path() or ""
            if not melody:
                self._failed(Problem("Open a track first: its melody is what the music follows."))
                return
        try:
            request = music.request(self.attributes, prompt=self.prompt.toPlainText().strip(),
                                    seconds=self.seconds.value(), seed=self.seed.value(),
                                    guidance=self.guidance.value(), model=self.model_id(),
                                    melody_path=melody)
            music.preflight(request)
        except UserFacingError as exc:
            self._failed(Problem(exc.message, exc.action))
            return
        sentence = music.licence_to_acknowledge(self.model_id() or None)
        if sentence:
            if not self.confirm_licence(sentence):
                self.status.setText("Nothing made: MusicGen's licence was not acknowledged.")
                return
            music.acknowledge(self.model_id() or None)
        self._stop_playing()
        track_hash = self.track_hash
        self.handle = self.queue.submit(
            "making music", lambda ctx: music.generate(request, ctx.progress, ctx.cancel,
                                                       track_hash=track_hash))
        self.handle.progress.connect(self._progress)
        self.handle.finished.connect(self._finished)
        self.handle.failed.connect(self._failed)
        self.handle.cancelled.connect(self._cancelled)
        self.progress.setValue(0)
        self.progress.setVisible(True)
        self.status.setText("Loading MusicGen…")
        self._enable()

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()
            self.status.setText("Cancelling…")

    def _progress(self, report: Progress) -> None:
        self.progress.setValue(int(report.fraction * 1000))
        self.status.setText(report.text)

    def _done(self) -> None:
        self.handle = None
        self.progress.setVisible(False)
        self._enable()

    def _finished(self, record: JobRecord) -> None:
        self._done()
        self.record = record
        output = record.outputs[0]
        kept = f" — kept in the history as entry {record.id}" if record.id else ""
        self.status.setText(f"A {output.duration_s:g} s clip, seed {output.seed}{kept}. "
                            "MusicGen's licence (CC-BY-NC 4.0) is noted with it.")
        self.play_button.setEnabled(True)
        self.save_button.setEnabled(True)
        self._check_device()
        self.made.emit(record)

    def _check_device(self) -> None:
        """Look for the sound device off the UI thread; without one, Play is off and its
        tooltip says why (the clip is kept and can be saved all the same)."""
        from albumstudio.audio.player import AudioOutput

        handle = self.runner.submit("looking for the sound device",
                                    lambda _ctx: AudioOutput.check_available(),
                                    key="music-device")
        handle.finished.connect(self._device_found)
        handle.failed.connect(lambda problem: self._device_found(
            (False, str(getattr(problem, "message", problem)))))

    def _device_found(self, result: tuple[bool, str]) -> None:
        usable, why = bool(result[0]), str(result[1])
        self.device_checked = True
        self.play_button.setEnabled(usable and self.record is not None)
        self.play_button.setToolTip("Play the clip" if usable else why)
        self.play_button.setAccessibleDescription("" if usable else why)

    def _cancelled(self) -> None:
        self._done()
        self.status.setText("Cancelled: nothing was kept.")

    def _failed(self, problem: Problem) -> None:
        if self.handle is not None and self.handle.is_done:
            self._done()
        self.status.setText(f"✘ {problem.message}")
        self.problem.emit(problem)

    # -- the result -------------------------------------------------------------------------
    def clip_path(self) -> str:
        return self.record.outputs[0].path if self.record is not None else ""

    def toggle_play(self) -> None:
        """Play the clip through the app's playback engine (Stop when it plays)."""
        if self.playback is not None:
            self._stop_playing()
            return
        from albumstudio.audio.player import (
            AudioOutput,
            PlaybackEngine,
            PlaybackUnavailable,
            open_source,
        )

        path = self.clip_path()
        if not path:
            return
        source = None
        try:
            source = open_source(path)
            engine = PlaybackEngine(source, out_rate=AudioOutput.device_rate(), out_channels=2)
            output = AudioOutput(engine)
            engine.play()
            output.start()
        except (PlaybackUnavailable, UserFacingError) as exc:
            if source is not None:
                source.close()
            self._failed(Problem(str(exc)))
            return
        self.playback = (engine, output)
        self.play_button.setText("Stop")

    def _stop_playing(self) -> None:
        if self.playback is not None:
            engine, output = self.playback
            output.close()
            engine.source.close()
            self.playback = None
        self.play_button.setText("Play")

    def save(self, path: str, overwrite: bool = False) -> str:
        """Write the clip to ``path`` (WAV, FLAC, MP3 or Ogg Opus), as the CLI does."""
        from albumstudio.services.music import save_clip

        if self.record is None:
            raise UserFacingError("Generate a clip before saving it.")
        return save_clip(self.record, path, overwrite)

    def choose_and_save(self) -> None:  # pragma: no cover - a native dialog
        path, _ = QFileDialog.getSaveFileName(self, "Save music", "music.wav",
                                              "WAV (*.wav);;FLAC (*.flac);;MP3 (*.mp3);;"
                                              "Ogg Opus (*.opus *.ogg)")
        if path:
            try:
                self.save(path, overwrite=True)
            except UserFacingError as exc:
                self._failed(Problem(exc.message, exc.action))

    def close_playback(self) -> None:
        self._stop_playing()
