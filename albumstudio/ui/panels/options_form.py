"""An engine's settings box, mapped from its options dataclass (as napari maps layer types to
controls): bool → check box, int/float → spin box with the field's limits, a str with choices →
combo box, any other str → line edit. A field may name a special ``editor`` the window
provides (a model chooser, a LoRA file); ``hidden`` fields are set elsewhere. A new engine needs
no widget code at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import Field, fields, replace
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QFormLayout,
    QGroupBox,
    QLineEdit,
    QSpinBox,
    QWidget,
)

from albumstudio.core.cover_options import AUTO, field_type


class FieldEditor(Protocol):
    widget: QWidget

    def value(self) -> Any: ...

    def set_value(self, value: Any) -> None: ...


EditorFactory = Callable[[Field[Any]], FieldEditor]


class WheelGuard(QObject):
    """Scrolling the panel never changes a spin box or combo box the pointer passes over: the
    wheel reaches one only while it has the keyboard focus."""

    def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Wheel and isinstance(obj, QWidget) and not obj.hasFocus():
            event.ignore()
            return True
        return False


WHEEL_GUARD = WheelGuard()


W = TypeVar("W", bound=QWidget)


def guard_wheel(widget: W) -> W:
    if isinstance(widget, (QAbstractSpinBox, QComboBox)):
        widget.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        widget.installEventFilter(WHEEL_GUARD)
    return widget


def choice_label(value: str) -> str:
    return "Auto (genre preset)" if value == AUTO else value.replace("-", " ").capitalize()


class _Plain:
    """The editor for a plain field."""

    def __init__(self, kind: type, f: Field) -> None:
        meta = f.metadata
        self.kind = kind
        if kind is bool:
            self.widget: QWidget = QCheckBox(str(meta.get("label", f.name)))
        elif meta.get("choices"):
            box = QComboBox()
            labels = meta.get("choice_labels") or [choice_label(str(c)) for c in meta["choices"]]
            for value, label in zip(meta["choices"], labels, strict=True):
                box.addItem(str(label), value)
            self.widget = box
        elif kind is int:
            self.widget = QSpinBox(minimum=int(meta.get("min", -2**31)),
                                   maximum=int(meta.get("max", 2**31 - 1)))
        elif kind is float:
            spin = QDoubleSpinBox(minimum=float(meta.get("min", -1e9)),
                                  maximum=float(meta.get("max", 1e9)))
            spin.setSingleStep(float(meta.get("step", 0.1)))
            spin.setDecimals(2)
            self.widget = spin
        else:
            self.widget = QLineEdit()
        guard_wheel(self.widget)
        if meta.get("help"):
            self.widget.setToolTip(str(meta["help"]))

    def value(self) -> Any:
        w = self.widget
        if isinstance(w, QCheckBox):
            return w.isChecked()
        if isinstance(w, QComboBox):
            return w.currentData()
        if isinstance(w, (QSpinBox, QDoubleSpinBox)):
            return w.value()
        assert isinstance(w, QLineEdit)
        return w.text().strip()

    def set_value(self, value: Any) -> None:
        w = self.widget
        if isinstance(w, QCheckBox):
            w.setChecked(bool(value))
        elif isinstance(w, QComboBox):
            w.setCurrentIndex(max(0, w.findData(value)))
        elif isinstance(w, (QSpinBox, QDoubleSpinBox)):
            w.setValue(value)
        elif isinstance(w, QLineEdit):
            w.setText(str(value))


class OptionsForm(QGroupBox):
    """The settings box of one engine; ``options()`` reads it back as the options dataclass."""

    changed = Signal()

    def __init__(self, title: str, options_type: type,
                 editors: dict[str, EditorFactory] | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(title, parent)
        self.options_type = options_type
        self._defaults = options_type()
        self.editors: dict[str, FieldEditor] = {}
        layout = QFormLayout(self)
        for f in fields(options_type):
            if f.metadata.get("hidden"):
                continue
            special = f.metadata.get("editor")
            factory = (editors or {}).get(special) if special else None
            editor: FieldEditor = (factory(f) if factory is not None
                                   else _Plain(field_type(options_type, f.name), f))
            editor.set_value(getattr(self._defaults, f.name))
            self.editors[f.name] = editor
            name = str(f.metadata.get("label", f.name.replace("_", " ").capitalize()))
            if not editor.widget.accessibleName():
                editor.widget.setAccessibleName(name)  # what a screen reader says
            label = "" if isinstance(editor.widget, QCheckBox) else name + ":"
            layout.addRow(label, editor.widget)

    def widget(self, name: str) -> QWidget | None:
        editor = self.editors.get(name)
        return editor.widget if editor is not None else None

    def values(self) -> dict[str, Any]:
        return {name: editor.value() for name, editor in self.editors.items()}

    def options(self, base: Any = None) -> Any:
        """``base`` (or the defaults) with every shown field as the box has it."""
        return replace(base if base is not None else self._defaults, **self.values())

    def set_options(self, options: Any) -> None:
        for name, editor in self.editors.items():
            editor.set_value(getattr(options, name))
