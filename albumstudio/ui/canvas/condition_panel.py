"""Which reference-image conditions guide the diffusion cover, and how strongly.

Bound to a :class:`ReferenceImage`: every control writes to the model, and the controls are
refreshed from the model's signals (so two panels on one model stay in step).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QPainter, QPaintEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QSlider,
    QVBoxLayout,
    QWidget,
)

from albumstudio.ui.canvas.reference_image import (
    THRESHOLD_MAX,
    WEIGHT_MAX,
    ReferenceImage,
    segmenter_missing_text,
)

if TYPE_CHECKING:
    from albumstudio.vision.palette import ImageLook

NO_IMAGE_TEXT = "Open a reference photo to describe its colours and to use its edges or layout."


class PaletteSwatches(QWidget):
    """The photo's main colours as one strip, each as wide as its share."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.colours: list[tuple[str, float]] = []
        self.setMinimumHeight(22)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(240, 24)

    def set_palette(self, palette: list[tuple[str, float]]) -> None:
        self.colours = [(str(hex_), float(share)) for hex_, share in palette]
        self.setToolTip("  ".join(f"{hex_} {share:.0%}" for hex_, share in self.colours))
        self.update()

    def paintEvent(self, event: QPaintEvent) -> None:  # noqa: N802
        total = sum(max(share, 0.0) for _, share in self.colours)
        if total <= 0:
            return
        painter = QPainter(self)
        x = 0.0
        for hex_, share in self.colours:
            width = self.width() * max(share, 0.0) / total
            painter.fillRect(QRectF(x, 0, width + 0.5, self.height()), QColor(hex_))
            x += width
        painter.end()


def _slider() -> QSlider:
    slider = QSlider(Qt.Orientation.Horizontal)
    slider.setRange(0, THRESHOLD_MAX)
    slider.setPageStep(10)
    return slider


def _weight_spin() -> QDoubleSpinBox:
    spin = QDoubleSpinBox()
    spin.setRange(0.0, WEIGHT_MAX)
    spin.setSingleStep(0.05)
    spin.setDecimals(2)
    spin.setToolTip("How strongly the cover follows this condition (ControlNet conditioning scale)")
    return spin


class ConditionPanel(QWidget):
    def __init__(self, model: ReferenceImage, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)

        canny = QGroupBox("Edges")
        canny_form = QFormLayout(canny)
        self.canny_check = QCheckBox("Use edges (Canny)")
        self.canny_check.setToolTip("The cover keeps the outlines of the cropped photo")
        canny_form.addRow(self.canny_check)
        self.low_slider, self.high_slider = _slider(), _slider()
        self.low_label, self.high_label = QLabel(), QLabel()
        for text, slider, label in (("Low threshold", self.low_slider, self.low_label),
                                    ("High threshold", self.high_slider, self.high_label)):
            row = QHBoxLayout()
            row.addWidget(slider, 1)
            label.setMinimumWidth(32)
            row.addWidget(label)
            canny_form.addRow(text + ":", row)
        self.low_slider.setToolTip("Edges weaker than this are dropped (lower keeps more detail)")
        self.high_slider.setToolTip("Edges stronger than this always count (must stay above low)")
        self.canny_weight = _weight_spin()
        canny_form.addRow("Weight:", self.canny_weight)
        layout.addWidget(canny)

        seg = QGroupBox("Layout")
        seg_form = QFormLayout(seg)
        self.seg_check = QCheckBox("Use segmentation (SegFormer, ADE20K)")
        seg_form.addRow(self.seg_check)
        self.seg_weight = _weight_spin()
        seg_form.addRow("Weight:", self.seg_weight)
        self.seg_note = QLabel()
        self.seg_note.setObjectName("placeholder")
        self.seg_note.setWordWrap(True)
        seg_form.addRow(self.seg_note)
        layout.addWidget(seg)

        look_title = QLabel("The photo at a glance")
        look_title.setObjectName("sectionTitle")
        layout.addWidget(look_title)
        self.description = QLabel(NO_IMAGE_TEXT)
        self.description.setWordWrap(True)
        self.description.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout.addWidget(self.description)
        self.swatches = PaletteSwatches()
        layout.addWidget(self.swatches)
        layout.addStretch(1)

        self.canny_check.toggled.connect(lambda on: model.set_enabled("canny", on))
        # SegFormer's weights are for non-commercial research: asked once, before first use
        self.confirm_licence: Callable[[str], bool] = lambda text: _ask_licence(self, text)
        self.seg_check.toggled.connect(self._seg_toggled)
        self.low_slider.valueChanged.connect(self._low_moved)
        self.high_slider.valueChanged.connect(self._high_moved)
        self.canny_weight.valueChanged.connect(lambda v: model.set_weight("canny", v))
        self.seg_weight.valueChanged.connect(lambda v: model.set_weight("seg", v))
        model.conditions_changed.connect(self._sync)
        model.seg_availability_changed.connect(self._sync)
        model.look_changed.connect(self._show_look)
        self._sync()
        self._show_look(model.look)
        model.check_segmenter()

    def _low_moved(self, low: int) -> None:
        high = self.model.condition("canny").high
        self.model.set_canny_thresholds(low, max(high, low + 1))

    def _high_moved(self, high: int) -> None:
        low = self.model.condition("canny").low
        self.model.set_canny_thresholds(min(low, high - 1), high)

    def _seg_toggled(self, on: bool) -> None:
        if on and not self._licence_acknowledged():
            self.seg_check.blockSignals(True)
            self.seg_check.setChecked(False)
            self.seg_check.blockSignals(False)
            return
        self.model.set_enabled("seg", on)

    def _licence_acknowledged(self) -> bool:
        """True once the artist has accepted the segmenter's licence (asked once, remembered)."""
        from albumstudio.core.errors import UserFacingError
        from albumstudio.services.model_manager import (
            acknowledge,
            licence_of,
            needs_acknowledgement,
        )

        if not needs_acknowledgement("segmenter"):
            return True
        licence = licence_of("segmenter")
        if licence is None or not self.confirm_licence(licence.sentence):
            return False
        try:
            acknowledge("segmenter")
        except (UserFacingError, OSError):  # not remembered (the data folder): asked again later
            pass
        return True

    def _sync(self, *_args: object) -> None:
        model = self.model
        canny, seg = model.condition("canny"), model.condition("seg")
        checks = ((self.canny_check, bool(model.enabled.get("canny"))),
                  (self.seg_check, bool(model.enabled.get("seg")) and model.is_usable("seg")))
        for check, on in checks:
            check.blockSignals(True)
            check.setChecked(on)
            check.blockSignals(False)
        for slider, threshold in ((self.low_slider, canny.low), (self.high_slider, canny.high)):
            slider.blockSignals(True)
            slider.setValue(threshold)
            slider.blockSignals(False)
        for spin, weight in ((self.canny_weight, canny.weight), (self.seg_weight, seg.weight)):
            spin.blockSignals(True)
            spin.setValue(weight)
            spin.blockSignals(False)
        self.low_label.setText(str(canny.low))
        self.high_label.setText(str(canny.high))
        for widget in (self.low_slider, self.high_slider, self.canny_weight):
            widget.setEnabled(self.canny_check.isChecked())
        available = model.seg_available
        self.seg_check.setEnabled(bool(available))
        self.seg_weight.setEnabled(bool(available) and self.seg_check.isChecked())
        if available is None:
            note = "Looking for the segmentation model…"
        elif not available:
            note = segmenter_missing_text(model.segmenter)
        else:
            note = "Keeps the photo's layout: sky, buildings, people, plants (ADE20K classes)."
        self.seg_note.setText(note)
        self.seg_check.setToolTip(note)

    def _show_look(self, look: ImageLook | None) -> None:
        if look is None:
            self.description.setText(NO_IMAGE_TEXT)
            self.swatches.set_palette([])
            self.swatches.hide()
            return
        text = look.describe()
        self.description.setText(text[:1].upper() + text[1:])
        self.swatches.set_palette(list(look.palette))
        self.swatches.show()


def _ask_licence(parent: QWidget, sentence: str) -> bool:  # pragma: no cover - a native dialog
    from PySide6.QtWidgets import QMessageBox

    answer = QMessageBox.question(parent, "SegFormer's licence", f"{sentence}\n\nContinue?")
    return answer == QMessageBox.StandardButton.Yes
