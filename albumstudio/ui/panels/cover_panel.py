"""The Cover tab: the prompt, the engine and its settings, Generate / Cancel, progress with ETA."""

from __future__ import annotations

import random
from dataclasses import Field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.cover import CoverRequest, LoraFile
from albumstudio.core.errors import Problem
from albumstudio.core.jobs import JobRecord, Progress
from albumstudio.core.text import display_name
from albumstudio.engines.registry import EngineSpec
from albumstudio.ui.cover_session import CoverSession
from albumstudio.ui.panels.options_form import EditorFactory, OptionsForm, guard_wheel
from albumstudio.ui.panels.prompt_editor import PromptEditor


class _ModelEditor:
    """A model id or pipeline folder, with a line saying whether it is installed."""

    def __init__(self, panel: CoverPanel, f: Field[Any]) -> None:
        self.widget = QWidget()
        box = QVBoxLayout(self.widget)
        box.setContentsMargins(0, 0, 0, 0)
        self.line = QLineEdit()
        self.line.setToolTip(str(f.metadata.get("help", "")))
        self.line.setAccessibleName("Model")
        self.status = QLabel()
        self.status.setObjectName("placeholder")
        self.status.setWordWrap(True)
        box.addWidget(self.line)
        box.addWidget(self.status)
        self.line.editingFinished.connect(lambda: panel.check_model(self))

    def value(self) -> str:
        return self.line.text().strip()

    def set_value(self, value: object) -> None:
        self.line.setText(str(value))


class _LoraEditor:
    """The artist's own LoRA style file (.safetensors), or none."""

    def __init__(self, panel: CoverPanel, f: Field[Any]) -> None:
        self.panel = panel
        self.widget = QWidget()
        row = QHBoxLayout(self.widget)
        row.setContentsMargins(0, 0, 0, 0)
        self.path: str | None = None
        self.label = QLabel("No style LoRA")
        self.choose = QPushButton("Style LoRA…")
        self.clear = QPushButton("Remove")
        row.addWidget(self.label, 1)
        row.addWidget(self.choose)
        row.addWidget(self.clear)
        self.choose.clicked.connect(self._choose)
        self.clear.clicked.connect(lambda: self.set_value(()))

    def _choose(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self.panel, "Choose a LoRA style file", "",
                                              "LoRA (*.safetensors)")
        if path:
            self.set_value((LoraFile(path),))

    def value(self) -> tuple[LoraFile, ...]:
        return (LoraFile(self.path),) if self.path else ()

    def set_value(self, value: object) -> None:
        loras = tuple(value) if isinstance(value, (tuple, list)) else ()
        self.path = loras[0].path if loras else None
        self.label.setText(display_name(self.path) if self.path else "No style LoRA")


class _LcmEditor:
    """Fast mode: sets the steps, guidance and scheduler it needs in the same box."""

    def __init__(self, panel: CoverPanel, f: Field[Any]) -> None:
        self.panel = panel
        self.box = QCheckBox(str(f.metadata.get("label", "Fast mode")))
        self.widget: QWidget = self.box
        self.box.toggled.connect(self._toggled)

    def value(self) -> bool:
        return self.box.isChecked()

    def set_value(self, value: object) -> None:
        self.box.blockSignals(True)
        self.box.setChecked(bool(value))
        self.box.blockSignals(False)

    def _toggled(self, on: bool) -> None:
        form = self.panel.form
        defaults = form.options_type()
        values = {"steps": 4, "guidance": 1.0, "scheduler": "lcm"} if on else {
            "steps": defaults.steps, "guidance": defaults.guidance,
            "scheduler": defaults.scheduler}
        for name, value in values.items():
            editor = form.editors.get(name)
            if editor is not None:
                editor.set_value(value)


STORE_SIDE = 3000  # what distributors ask for


class CoverPanel(QWidget):
    def __init__(self, cover: CoverSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cover = cover
        s = cover.settings
        layout = QVBoxLayout(self)
        self.style_edit = QLineEdit()
        self.style_edit.setPlaceholderText("Your words: a mood, a place, a colour… (optional)")
        self.style_edit.setMaxLength(300)
        self.style_edit.setAccessibleName("Your words")
        layout.addWidget(self.style_edit)
        self.editor = PromptEditor()
        self.editor.text.setMinimumHeight(110)
        layout.addWidget(self.editor, 1)

        form = QFormLayout()
        self.engine = guard_wheel(QComboBox())
        for spec in cover.registry.specs("cover"):  # the engine list is the registry's
            self.engine.addItem(spec.label, spec.name)
            self.engine.setItemData(self.engine.count() - 1, spec.description,
                                    Qt.ItemDataRole.ToolTipRole)
        self.engine.setCurrentIndex(max(0, self.engine.findData(s.engine)))
        form.addRow("Engine:", self.engine)
        size_row = QVBoxLayout()
        size_line = QHBoxLayout()
        self.size_choice = guard_wheel(QComboBox())  # the engine's named sizes, then Custom
        self.size_choice.setAccessibleName("Cover size")
        self.size_box = guard_wheel(QSpinBox(minimum=256, maximum=6000, singleStep=64, value=s.size))
        self.size_box.setSuffix(" px")
        self.size_box.setKeyboardTracking(False)  # typed numbers count when the typing ends
        self.size_box.setAccessibleName("Custom cover size")
        size_line.addWidget(self.size_choice, 1)
        size_line.addWidget(self.size_box)
        self.size_note = QLabel()
        self.size_note.setObjectName("placeholder")
        self.size_note.setWordWrap(True)
        size_row.addLayout(size_line)
        size_row.addWidget(self.size_note)
        form.addRow("Size:", size_row)
        seed_row = QHBoxLayout()
        self.seed = guard_wheel(QSpinBox(minimum=0, maximum=2**31 - 1, value=s.seed))
        self.seed.setAccessibleName("Seed")
        self.dice = QPushButton("New seed")
        self.dice.setToolTip("Pick another random seed: the same seed always gives the same cover.")
        self.seed_lock = QPushButton("Lock")
        self.seed_lock.setCheckable(True)
        self.seed_lock.setToolTip("Locked: Generate keeps this seed (the same settings make the "
                                  "same cover). Unlocked: each Generate picks a new seed.")
        self.seed_lock.setAccessibleName("Lock the seed")
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.dice)
        seed_row.addWidget(self.seed_lock)
        form.addRow("Seed:", seed_row)
        self.variants = guard_wheel(QSpinBox(minimum=1, maximum=8, value=s.variants))
        form.addRow("Variants:", self.variants)
        layout.addLayout(form)

        editors: dict[str, EditorFactory] = {
            "model": lambda f: _ModelEditor(self, f),
            "lora-files": lambda f: _LoraEditor(self, f),
            "lcm": lambda f: _LcmEditor(self, f)}
        self.forms: dict[str, OptionsForm] = {}
        for spec in cover.registry.specs("cover"):  # one settings box per engine, from its options
            box = OptionsForm(spec.label.split(" — ")[0], spec.options_type, editors)
            box.hide()
            self.forms[spec.name] = box
            layout.addWidget(box)
        layout.addStretch(1)

        self.footer = QWidget()  # Generate / Cancel / progress: kept in view below the settings
        footer = QVBoxLayout(self.footer)
        footer.setContentsMargins(8, 4, 8, 4)
        buttons = QHBoxLayout()
        self.generate_button = QPushButton("Generate cover")
        self.generate_button.setDefault(True)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.setEnabled(False)
        buttons.addWidget(self.generate_button, 1)
        buttons.addWidget(self.cancel_button)
        footer.addLayout(buttons)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        keep = self.progress.sizePolicy()
        keep.setRetainSizeWhenHidden(True)  # the panel never jumps when a job starts or ends
        self.progress.setSizePolicy(keep)
        self.progress.hide()
        self.status = QLabel("")
        self.status.setObjectName("placeholder")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the design plan of the last cover: background or treatment, texture, type, and the
        # words only the diffusion engine reads, each with its reason (the palette's in the tip);
        # it sits at the foot of the scrolled settings, so a small window keeps them usable
        self.plan = QLabel("")
        self.plan.setObjectName("placeholder")
        self.plan.setWordWrap(True)
        self.plan.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.plan.hide()
        # before a long job: how long it takes on this computer, from its own past jobs
        self.estimate = QLabel("")
        self.estimate.setObjectName("placeholder")
        self.estimate.setWordWrap(True)
        self.estimate.hide()
        footer.addWidget(self.estimate)
        footer.addWidget(self.progress)
        footer.addWidget(self.status)
        # in the scrolled settings, after the engine's box: it never crowds them out
        layout.insertWidget(layout.count() - 1, self.plan)
        self._bind()
        self._engine_changed()

    # -- the current engine's box ------------------------------------------------------------
    @property
    def form(self) -> OptionsForm:
        return self.forms[self.engine.currentData()]

    def field(self, name: str, engine: str | None = None) -> QWidget | None:
        """The control of option ``name`` (of ``engine``, the current one by default)."""
        return self.forms[engine or self.engine.currentData()].widget(name)

    def _editor(self, engine: str, name: str):
        return self.forms[engine].editors.get(name) if engine in self.forms else None

    @property
    def treatment(self) -> QWidget | None:
        return self.field("treatment", "design")

    @property
    def layout_box(self) -> QWidget | None:
        return self.field("layout", "design")

    @property
    def steps(self) -> QWidget | None:
        return self.field("steps", "diffusion")

    @property
    def lcm(self) -> QWidget | None:
        return self.field("lcm", "diffusion")

    @property
    def model(self) -> QLineEdit | None:
        editor = self._editor("diffusion", "model")
        return editor.line if editor is not None else None

    @property
    def model_status(self) -> QLabel | None:
        editor = self._editor("diffusion", "model")
        return editor.status if editor is not None else None

    # -- binding -----------------------------------------------------------------------------
    def _bind(self) -> None:
        c = self.cover
        self.style_edit.textChanged.connect(c.set_style)
        self.editor.preset_changed.connect(c.set_preset)
        self.editor.recompose_requested.connect(c.compose)
        c.composed_changed.connect(self.editor.set_composed)
        self.engine.currentIndexChanged.connect(self._engine_changed)
        self.size_choice.currentIndexChanged.connect(self._size_chosen)
        self.size_box.valueChanged.connect(self._size_changed)
        self.dice.clicked.connect(lambda: self.seed.setValue(random.randrange(2**31 - 1)))
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button.clicked.connect(c.cancel)
        c.progress.connect(self._on_progress)
        c.result.connect(self._on_result)
        c.failed.connect(self._on_failed)
        c.cancelled.connect(self._on_cancelled)
        c.queue_changed.connect(self._on_queue)
        self.variants.valueChanged.connect(self._estimate)
        steps, lcm = self.field("steps", "diffusion"), self._editor("diffusion", "lcm")
        if isinstance(steps, QSpinBox):
            steps.valueChanged.connect(self._estimate)
        if lcm is not None:
            lcm.box.toggled.connect(self._estimate)
        c.history_changed.connect(self._estimate)  # a finished job refines the figure

    def _engine_changed(self, *_args) -> None:
        name = self.engine.currentData()
        for engine, box in self.forms.items():
            box.setVisible(engine == name)
        self.cover.update_settings(size=self.size_box.value())
        spec: EngineSpec = self.cover.set_engine(name)
        low, high = spec.limit("size", (256, 6000))
        self.size_box.setRange(int(low), int(high))
        self.size_choice.blockSignals(True)
        self.size_choice.clear()
        for px, label in spec.sizes:
            self.size_choice.addItem(label, px)
        self.size_choice.addItem("Custom size", 0)
        self.size_choice.blockSignals(False)
        self.size_box.setValue(self.cover.settings.size)
        self._size_changed(self.size_box.value())
        low, high = spec.limit("variants", (1, 8))
        self.variants.setRange(int(low), min(8, int(high)))
        editor = self._editor(name, "model")
        if editor is not None:
            self.check_model(editor)
        self._estimate()

    def _estimate(self, *_args: object) -> None:
        """The time a cover of the current steps takes here (engines with steps only)."""
        engine = self.engine.currentData()
        steps = self.field("steps", engine)
        if not isinstance(steps, QSpinBox):
            self.estimate.hide()
            return
        lcm = self._editor(engine, "lcm")
        on = lcm is not None and bool(lcm.value())
        count = 4 if on else steps.value()  # LCM: 4 steps
        self.cover.estimate(count, self.variants.value(), self._show_estimate, lcm=on)

    def _show_estimate(self, sentence: str) -> None:
        if not isinstance(self.field("steps"), QSpinBox):
            return  # the engine changed meanwhile
        self.estimate.setText(sentence)
        self.estimate.setVisible(bool(sentence))

    def _size_chosen(self, _index: int) -> None:
        px = self.size_choice.currentData()
        if px:
            self.size_box.setValue(int(px))
            self.size_box.hide()
        else:  # Custom: the box takes the artist's own number
            self.size_box.show()
            self.size_box.setFocus()
        self._size_note(self.size_box.value())

    def _size_changed(self, value: int) -> None:
        """Show the named size that matches (or Custom with its box)."""
        index = self.size_choice.findData(value)
        custom = index < 0 or self.size_box.hasFocus()
        self.size_choice.blockSignals(True)
        self.size_choice.setCurrentIndex(self.size_choice.count() - 1 if custom else index)
        self.size_choice.blockSignals(False)
        self.size_box.setVisible(custom)
        self._size_note(value)

    def _size_note(self, value: int) -> None:
        """Say when a cover would be smaller than stores accept."""
        engine = self.cover.registry.find(self.engine.currentData() or "")
        if value >= STORE_SIDE:
            note = ""
        elif engine is not None and engine.limit("size", (0, STORE_SIDE))[1] < STORE_SIDE:
            note = (f"Stores ask for {STORE_SIDE}×{STORE_SIDE} px: this engine makes at most "
                    f"{int(engine.limit('size', (0, 0))[1])} px, so its covers need upscaling "
                    "before release (the release export will do that; it is not built yet).")
        else:
            note = (f"Below the {STORE_SIDE}×{STORE_SIDE} px that stores ask for: fine for "
                    "drafts and social posts, not for a release.")
        self.size_note.setText(note)
        self.size_note.setVisible(bool(note))

    def check_model(self, editor: _ModelEditor) -> None:
        model = editor.value()
        if not model:
            editor.status.setText("Name a model id or a pipeline folder.")
            return
        editor.status.setText("Looking for the model…")
        self.cover.check_installed(
            model, lambda found, m=model, e=editor: self._show_model_status(e, m, found))

    def _show_model_status(self, editor: _ModelEditor, model: str, installed: bool) -> None:
        if model != editor.value():
            return  # the artist has typed another model since
        if installed:
            editor.status.setText("Installed: generation runs on this computer.")
        else:
            editor.status.setText(
                f"Not installed: download it once in Help › Models… (or `hf download {model}`), "
                "or choose a local pipeline folder; the Design engine works without it."
                if model.count("/") == 1 and not model.startswith(("/", ".", "~")) else
                "Not found: choose a folder that holds a whole Stable Diffusion pipeline; the "
                "Design engine works without it.")

    def apply_request(self, request: CoverRequest) -> None:
        """Set every control from an earlier cover's request, so it can be made again or varied."""
        self.engine.setCurrentIndex(max(0, self.engine.findData(request.engine)))
        self.size_box.setValue(request.size)
        self.seed.setValue(request.seed)
        self.seed_lock.setChecked(True)  # the point is to make this cover again, or vary it
        self.variants.setValue(1)
        self.forms[request.engine].set_options(request.options)
        if self.style_edit.text() != request.words:  # the design engine reads them itself
            self.style_edit.setText(request.words)
        self.editor.restore(request.prompt, request.negative_prompt)
        self.status.setText(f"Settings of the cover with seed {request.seed} restored; "
                            "change anything, then Generate.")

    # -- generating --------------------------------------------------------------------------
    def settings_changes(self) -> dict[str, object]:
        return {"engine": self.engine.currentData(), "size": self.size_box.value(),
                "seed": self.seed.value(), "variants": self.variants.value(),
                **self.form.values()}

    def generate(self) -> None:
        if not self.seed_lock.isChecked():  # a new cover each time, unless the seed is locked
            self.seed.setValue(random.randrange(2**31 - 1))
        self.cover.flush_compose()
        self.cover.update_settings(**self.settings_changes())
        self.cover.generate(self.editor.prompt(), self.editor.negative())
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText("Queued…")

    def _on_progress(self, report: Progress) -> None:
        self.progress.setValue(int(report.fraction * 1000))
        self.status.setText(report.text)

    def _on_result(self, record: JobRecord) -> None:
        warnings = " ".join(record.warnings())
        n = len(record.outputs)
        seconds = record.timings.get("prepare", 0.0) + record.timings.get("generate", 0.0)
        self.status.setText(f"Made {n} cover{'s' if n != 1 else ''} in {seconds:.1f} s on "
                            f"{record.device}. {warnings}".strip())
        self.status.setToolTip("\n".join([*record.explanations(), *record.warnings()]))
        decided = [line[:1].upper() + line[1:] for line in record.explanations()
                   if not line.startswith("palette:")]
        palette = [line.removeprefix("palette: ") for line in record.explanations()
                   if line.startswith("palette:")]
        self.plan.setText("\n".join(decided))
        self.plan.setToolTip("Palette: " + "; ".join(palette) if palette else "")
        self.plan.setVisible(bool(decided))

    def _on_failed(self, problem: Problem) -> None:
        self.status.setText(str(problem))

    def _on_cancelled(self) -> None:
        self.status.setText("Cancelled.")

    def _on_queue(self, pending: int) -> None:
        self.cancel_button.setEnabled(pending > 0)
        self.progress.setVisible(pending > 0)
        if pending > 1:
            self.generate_button.setText(f"Generate cover ({pending - 1} waiting)")
        else:
            self.generate_button.setText("Generate cover")
