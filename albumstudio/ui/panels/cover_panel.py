"""The Cover tab: the prompt, the engine and its settings, Generate / Cancel, progress with ETA."""

from __future__ import annotations

import random

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.cover import LAYOUTS, SCHEDULERS, TREATMENTS, CoverRequest, LoraFile
from albumstudio.core.cover_plan import default_size
from albumstudio.core.text import display_name
from albumstudio.jobs.cover_jobs import CoverPreview
from albumstudio.ui.cover_session import CoverSession
from albumstudio.ui.panels.prompt_editor import PromptEditor

ENGINE_LABELS = (("design", "Design — offline, no model"),
                 ("diffusion", "Stable Diffusion + ControlNet"))


def is_explanation(note: str) -> bool:
    """Notes that explain a choice (the design engine's palette reasons), not warnings."""
    return note.startswith("palette:")


def _combo(items, current: str) -> QComboBox:
    box = QComboBox()
    for key, label in items:
        box.addItem(label, key)
    box.setCurrentIndex(max(0, box.findData(current)))
    return box


class CoverPanel(QWidget):
    def __init__(self, cover: CoverSession, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.cover = cover
        s = cover.settings
        layout = QVBoxLayout(self)
        self.style_edit = QLineEdit()
        self.style_edit.setPlaceholderText("Your words: a mood, a place, a colour… (optional)")
        self.style_edit.setMaxLength(300)
        layout.addWidget(self.style_edit)
        self.editor = PromptEditor()
        self.editor.text.setMinimumHeight(110)
        layout.addWidget(self.editor, 1)

        form = QFormLayout()
        self.engine = _combo(ENGINE_LABELS, s.engine)
        form.addRow("Engine:", self.engine)
        self.size = QSpinBox(minimum=256, maximum=6000, singleStep=64, value=s.size)
        self.size.setSuffix(" px")
        form.addRow("Size:", self.size)
        seed_row = QHBoxLayout()
        self.seed = QSpinBox(minimum=0, maximum=2**31 - 1, value=s.seed)
        self.dice = QPushButton("New seed")
        self.dice.setToolTip("Pick another random seed: the same seed always gives the same cover.")
        seed_row.addWidget(self.seed, 1)
        seed_row.addWidget(self.dice)
        form.addRow("Seed:", seed_row)
        self.variants = QSpinBox(minimum=1, maximum=8, value=s.variants)
        form.addRow("Variants:", self.variants)
        layout.addLayout(form)

        self.design_box = QGroupBox("Design")
        design = QFormLayout(self.design_box)
        self.layout_box = _combo([(k, k.replace("-", " ").capitalize()) for k in LAYOUTS], s.layout)
        self.treatment = _combo([(k, k.replace("-", " ").capitalize()) for k in TREATMENTS],
                                s.treatment)
        self.grain = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=s.grain)
        self.vignette = QDoubleSpinBox(minimum=0.0, maximum=1.0, singleStep=0.05, value=s.vignette)
        design.addRow("Type layout:", self.layout_box)
        design.addRow("Treatment:", self.treatment)
        design.addRow("Grain:", self.grain)
        design.addRow("Vignette:", self.vignette)
        layout.addWidget(self.design_box)

        self.diffusion_box = QGroupBox("Stable Diffusion")
        diff = QFormLayout(self.diffusion_box)
        self.model = QLineEdit(s.model)
        self.model.setToolTip("A model id from your local model cache, or a pipeline folder.")
        self.model_status = QLabel()
        self.model_status.setObjectName("placeholder")
        self.model_status.setWordWrap(True)
        self.scheduler = _combo([(k, k.upper() if len(k) < 4 else k.capitalize())
                                 for k in SCHEDULERS], s.scheduler)
        self.steps = QSpinBox(minimum=1, maximum=150, value=s.steps)
        self.guidance = QDoubleSpinBox(minimum=0.0, maximum=30.0, singleStep=0.5, value=s.guidance)
        self.img2img = QCheckBox("Start from the picture (img2img)")
        self.strength = QDoubleSpinBox(minimum=0.05, maximum=1.0, singleStep=0.05, value=s.strength)
        self.lcm = QCheckBox("Fast mode (LCM-LoRA, 4 steps)")
        lora_row = QHBoxLayout()
        self.lora_label = QLabel("No style LoRA")
        self.lora_button = QPushButton("Style LoRA…")
        self.lora_clear = QPushButton("Remove")
        lora_row.addWidget(self.lora_label, 1)
        lora_row.addWidget(self.lora_button)
        lora_row.addWidget(self.lora_clear)
        diff.addRow("Model:", self.model)
        diff.addRow("", self.model_status)
        diff.addRow("Scheduler:", self.scheduler)
        diff.addRow("Steps:", self.steps)
        diff.addRow("Guidance:", self.guidance)
        diff.addRow("", self.img2img)
        diff.addRow("Strength:", self.strength)
        diff.addRow("", self.lcm)
        diff.addRow("LoRA:", lora_row)
        layout.addWidget(self.diffusion_box)
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
        self.progress.hide()
        self.status = QLabel("")
        self.status.setObjectName("placeholder")
        self.status.setWordWrap(True)
        self.status.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        footer.addWidget(self.progress)
        footer.addWidget(self.status)
        self._bind()
        self._engine_changed()

    # -- binding -----------------------------------------------------------------------------
    def _bind(self) -> None:
        c = self.cover
        self.style_edit.textChanged.connect(c.set_style)
        self.editor.preset_changed.connect(c.set_preset)
        self.editor.recompose_requested.connect(c.compose)
        c.composed_changed.connect(self.editor.set_composed)
        self.engine.currentIndexChanged.connect(self._engine_changed)
        self.dice.clicked.connect(lambda: self.seed.setValue(random.randrange(2**31 - 1)))
        self.lora_button.clicked.connect(self._choose_lora)
        self.lora_clear.clicked.connect(lambda: self._set_lora(None))
        self.lcm.toggled.connect(self._lcm_toggled)
        self.model.editingFinished.connect(self._check_model)
        self.generate_button.clicked.connect(self.generate)
        self.cancel_button.clicked.connect(c.cancel)
        c.progress.connect(self._on_progress)
        c.preview.connect(self._on_preview)
        c.result.connect(self._on_result)
        c.failed.connect(self._on_failed)
        c.cancelled.connect(self._on_cancelled)
        c.queue_changed.connect(self._on_queue)

    def _engine_changed(self, *_args) -> None:
        engine = self.engine.currentData()
        diffusion = engine == "diffusion"
        self.design_box.setVisible(not diffusion)
        self.diffusion_box.setVisible(diffusion)
        old = self.cover.settings.engine
        if old != engine and self.size.value() == default_size(old):
            self.size.setValue(default_size(engine))
        self.cover.update_settings(engine=engine)
        if diffusion:
            self._check_model()

    def _check_model(self) -> None:
        model = self.model.text().strip()
        if not model:
            self.model_status.setText("Name a model id or a pipeline folder.")
            return
        self.model_status.setText("Looking for the model…")
        self.cover.check_installed(model, lambda found, m=model: self._show_model_status(m, found))

    def _show_model_status(self, model: str, installed: bool) -> None:
        if model != self.model.text().strip():
            return  # the artist has typed another model since
        if installed:
            self.model_status.setText("Installed: generation runs on this computer.")
        else:
            self.model_status.setText(
                f"Not installed: download it once with `hf download {model}`, or choose a local "
                "pipeline folder; the Design engine works without it."
                if model.count("/") == 1 and not model.startswith(("/", ".", "~")) else
                "Not found: choose a folder that holds a whole Stable Diffusion pipeline; the "
                "Design engine works without it.")

    def _lcm_toggled(self, on: bool) -> None:
        if on:
            self.steps.setValue(4)
            self.guidance.setValue(1.0)
            self.scheduler.setCurrentIndex(self.scheduler.findData("lcm"))
        else:
            self.steps.setValue(20)
            self.guidance.setValue(7.5)
            self.scheduler.setCurrentIndex(self.scheduler.findData("unipc"))

    def _choose_lora(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, "Choose a LoRA style file", "",
                                              "LoRA (*.safetensors)")
        if path:
            self._set_lora(path)

    def _set_lora(self, path: str | None) -> None:
        self._lora = path
        self.lora_label.setText(display_name(path) if path else "No style LoRA")

    def apply_request(self, request: CoverRequest) -> None:
        """Set every control from an earlier cover's request, so it can be made again or varied."""
        self.engine.setCurrentIndex(max(0, self.engine.findData(request.engine)))
        self.size.setValue(request.size)
        self.seed.setValue(request.seed)
        self.variants.setValue(1)
        for box, value in ((self.layout_box, request.layout), (self.treatment, request.treatment),
                           (self.scheduler, request.scheduler)):
            box.setCurrentIndex(max(0, box.findData(value)))
        self.grain.setValue(request.grain)
        self.vignette.setValue(request.vignette)
        self.model.setText(request.model)
        self.lcm.blockSignals(True)
        self.lcm.setChecked(request.lcm)
        self.lcm.blockSignals(False)
        self.steps.setValue(request.steps)
        self.guidance.setValue(request.guidance)
        self.img2img.setChecked(request.mode == "img2img")
        self.strength.setValue(request.strength)
        self._set_lora(request.loras[0].path if request.loras else None)
        self.editor.restore(request.prompt, request.negative_prompt)
        self.status.setText(f"Settings of the cover with seed {request.seed} restored; "
                            "change anything, then Generate.")

    # -- generating --------------------------------------------------------------------------
    def settings_changes(self) -> dict[str, object]:
        lora = getattr(self, "_lora", None)
        return {
            "engine": self.engine.currentData(), "size": self.size.value(),
            "seed": self.seed.value(), "variants": self.variants.value(),
            "layout": self.layout_box.currentData(), "treatment": self.treatment.currentData(),
            "grain": self.grain.value(), "vignette": self.vignette.value(),
            "model": self.model.text().strip(), "scheduler": self.scheduler.currentData(),
            "steps": self.steps.value(), "guidance": self.guidance.value(),
            "mode": "img2img" if self.img2img.isChecked() else "txt2img",
            "strength": self.strength.value(), "lcm": self.lcm.isChecked(),
            "loras": (LoraFile(lora),) if lora else (),
        }

    def generate(self) -> None:
        self.cover.flush_compose()
        self.cover.update_settings(**self.settings_changes())
        self.cover.generate(self.editor.prompt(), self.editor.negative())
        self.cancel_button.setEnabled(True)
        self.progress.setValue(0)
        self.progress.show()
        self.status.setText("Queued…")

    def _on_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(fraction * 1000))
        self.status.setText(text)

    def _on_preview(self, preview: CoverPreview) -> None:
        self.progress.setValue(int(1000 * (preview.image_index * preview.total + preview.step)
                                   / max(1, preview.total * preview.variants)))

    def _on_result(self, outcome) -> None:
        result = outcome.result
        notes = list(dict.fromkeys(result.notes))
        warnings = " ".join(n for n in notes if not is_explanation(n))
        n = len(result.images)
        self.status.setText(f"Made {n} cover{'s' if n != 1 else ''} in {result.seconds:.1f} s on "
                            f"{result.device}. {warnings}".strip())
        self.status.setToolTip("\n".join(notes))

    def _on_failed(self, message: str) -> None:
        self.status.setText(message)

    def _on_cancelled(self) -> None:
        self.status.setText("Cancelled.")

    def _on_queue(self, pending: int) -> None:
        self.cancel_button.setEnabled(pending > 0)
        self.progress.setVisible(pending > 0)
        if pending > 1:
            self.generate_button.setText(f"Generate cover ({pending - 1} waiting)")
        else:
            self.generate_button.setText("Generate cover")
