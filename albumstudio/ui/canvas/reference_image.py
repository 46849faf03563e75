"""The reference photo as an observable model: image, square crop, look and ControlNet conditions.

Widgets bind to its signals and own none of this state. Loading and every map preview run
as jobs of the picture service; a newer job supersedes an older one with the same key, and the
runner drops the older one's results (an earlier open, an earlier crop).
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING, TypedDict, Unpack

from PIL import Image
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtGui import QImage

from albumstudio.core.cover import CONDITION_KINDS, Condition, CropBox
from albumstudio.core.errors import Problem
from albumstudio.core.model_cache import ModelCache
from albumstudio.core.model_registry import default_model
from albumstudio.core.text import display_name, path_problem
from albumstudio.jobs.runner import JobRunner
from albumstudio.services.pictures import (
    LoadedImage,
    canny_preview,
    load_reference,
    map_source,
    model_installed,
    seg_preview,
)
from albumstudio.ui.canvas.qimage import pil_to_qimage

if TYPE_CHECKING:
    from albumstudio.vision.palette import ImageLook

THRESHOLD_MAX = 500
WEIGHT_MAX = 2.0
MAP_DEBOUNCE_MS = 150
MIN_CROP_SIDE = 32


class ConditionChanges(TypedDict, total=False):
    """Fields of a :class:`Condition` that the sliders change."""

    weight: float
    low: int
    high: int


def segmenter_missing_text(model: str) -> str:
    return (f"Needs the SegFormer ADE20K model ({model}); download it once in Help › Models… "
            f"or with `albumstudio models download {model}`.")




class ReferenceImage(QObject):
    image_changed = Signal()  # path, image, display and size are new (or cleared)
    loading_changed = Signal(bool)
    crop_changed = Signal(object)  # CropBox | None
    look_changed = Signal(object)  # ImageLook | None
    conditions_changed = Signal()
    maps_changed = Signal(str)  # "canny" | "seg": map_image(kind) is new (or None)
    seg_availability_changed = Signal(object)  # True | False | None (not checked yet)
    error = Signal(object)  # Problem or a sentence

    def __init__(self, runner: JobRunner, models: ModelCache, parent: QObject | None = None,
                 segmenter: str | None = None) -> None:
        super().__init__(parent)
        self.runner = runner
        self.models = models  # the segmenter loads on the first preview and stays there
        self.segmenter = segmenter or default_model("segmenter")
        self.path: str | None = None
        self.loaded: LoadedImage | None = None
        self.image: Image.Image | None = None
        self.display: QImage | None = None
        self.size: tuple[int, int] | None = None
        self.crop: CropBox | None = None
        self.look: ImageLook | None = None
        self.loading = False
        self.seg_available: bool | None = None
        self.conditions: tuple[Condition, ...] = (Condition("canny"), Condition("seg"))
        self.enabled: dict[str, bool] = {"canny": True, "seg": False}
        self._maps: dict[str, QImage | None] = dict.fromkeys(CONDITION_KINDS)
        self._map_errors: dict[str, str] = {}
        self._map_busy: set[str] = set()
        self._wanted: set[str] = set()
        self._seg_check_started = False
        self._map_timer = QTimer(self, singleShot=True, interval=MAP_DEBOUNCE_MS)
        self._map_timer.timeout.connect(self._compute_maps)

    # -- opening -----------------------------------------------------------------------------
    def open(self, path: str) -> bool:
        """Start loading ``path`` on a worker; False (and an error) when it plainly cannot be."""
        problem = path_problem(path, "photo")
        if problem:
            self.error.emit(problem)
            return False
        name = display_name(path)
        self._set_loading(True)
        handle = self.runner.submit(f"opening '{name}'",
                                    lambda ctx: load_reference(path, ctx.cancel, ctx.progress),
                                    key="reference-image")
        handle.finished.connect(self._on_loaded)
        handle.failed.connect(self._on_failed)
        handle.cancelled.connect(self._on_cancelled)
        return True

    def _on_loaded(self, result: LoadedImage) -> None:
        self.loaded = result
        self.path, self.image, self.size = result.path, result.image, result.size
        self.display = pil_to_qimage(result.display)
        self.crop = result.default_crop
        self.look = result.look
        self._set_loading(False)
        self._clear_maps()
        self.image_changed.emit()
        self.crop_changed.emit(self.crop)
        self.look_changed.emit(self.look)
        self.conditions_changed.emit()
        self._map_timer.start()

    def _on_failed(self, problem: Problem) -> None:
        self._set_loading(False)
        self.error.emit(problem)

    def _on_cancelled(self) -> None:
        self._set_loading(False)

    def _set_loading(self, loading: bool) -> None:
        if loading != self.loading:
            self.loading = loading
            self.loading_changed.emit(loading)

    def clear(self) -> None:
        """Forget the photo (conditions and thresholds stay as the artist set them)."""
        self.runner.supersede_key("reference-image")
        self._map_timer.stop()
        self.path = self.loaded = self.image = self.display = self.size = None
        self.crop = self.look = None
        self._set_loading(False)
        self._clear_maps()
        self.image_changed.emit()
        self.crop_changed.emit(None)
        self.look_changed.emit(None)
        self.conditions_changed.emit()

    # -- crop --------------------------------------------------------------------------------
    def min_crop_side(self) -> int:
        return min(MIN_CROP_SIDE, *self.size) if self.size else MIN_CROP_SIDE

    def set_crop(self, crop: CropBox) -> None:
        """Move or resize the square crop (in full-image pixels); it is kept inside the image."""
        if self.size is None:
            return
        from albumstudio.vision.crop import clamp_crop

        width, height = self.size
        side = max(self.min_crop_side(), min(int(crop.size), width, height))
        clamped = clamp_crop(CropBox(int(crop.left), int(crop.top), side), width, height)
        if clamped != self.crop:
            self.crop = clamped
            self.crop_changed.emit(clamped)
            self._map_timer.start()

    def reset_crop(self) -> None:
        if self.loaded is not None:
            self.set_crop(self.loaded.default_crop)

    # -- conditions --------------------------------------------------------------------------
    def condition(self, kind: str) -> Condition:
        return next(c for c in self.conditions if c.kind == kind)

    def _replace_condition(self, kind: str, **changes: Unpack[ConditionChanges]) -> None:
        new = tuple(replace(c, **changes) if c.kind == kind else c for c in self.conditions)
        if new != self.conditions:
            self.conditions = new
            self.conditions_changed.emit()
            self._map_timer.start()

    def set_enabled(self, kind: str, enabled: bool) -> None:
        if self.enabled.get(kind) != bool(enabled):
            self.enabled[kind] = bool(enabled)
            self.conditions_changed.emit()
            self._map_timer.start()

    def set_weight(self, kind: str, weight: float) -> None:
        self._replace_condition(kind, weight=round(min(WEIGHT_MAX, max(0.0, float(weight))), 3))

    def set_canny_thresholds(self, low: int, high: int) -> None:
        """Set both thresholds (0..500); low stays strictly below high."""
        low = min(THRESHOLD_MAX, max(0, int(low)))
        high = min(THRESHOLD_MAX, max(0, int(high)))
        if low >= high:
            high = low + 1
            if high > THRESHOLD_MAX:
                low, high = THRESHOLD_MAX - 1, THRESHOLD_MAX
        self._replace_condition("canny", low=low, high=high)

    def is_usable(self, kind: str) -> bool:
        return kind != "seg" or bool(self.seg_available)

    def conditions_for_request(self) -> tuple[Condition, ...]:
        """The enabled, usable conditions for a CoverRequest (none without a photo)."""
        if self.image is None:
            return ()
        return tuple(c for c in self.conditions if self.enabled.get(c.kind) and self.is_usable(c.kind))

    # -- segmentation model ------------------------------------------------------------------
    def check_segmenter(self, force: bool = False) -> None:
        """Find out (once, on a worker) whether the segmentation model is installed."""
        if self._seg_check_started and not force:
            return
        self._seg_check_started = True
        model = self.segmenter
        handle = self.runner.submit("looking for the segmentation model",
                                    lambda ctx: model_installed(model, ctx.cancel),
                                    key="segmenter-check")
        handle.finished.connect(self._on_seg_checked)
        handle.failed.connect(lambda _message: self._on_seg_checked(False))

    def _on_seg_checked(self, installed: bool) -> None:
        self.seg_available = bool(installed)
        if not installed and self.enabled.get("seg"):
            self.enabled["seg"] = False
        self.seg_availability_changed.emit(self.seg_available)
        self.conditions_changed.emit()
        self._map_timer.start()

    # -- map previews ------------------------------------------------------------------------
    def map_image(self, kind: str) -> QImage | None:
        """The latest preview of ``kind``'s map for the current crop, or None."""
        return self._maps.get(kind)

    def set_map_wanted(self, kind: str, wanted: bool) -> None:
        """A view shows ``kind``'s map: keep it computed even while the condition is off."""
        if wanted:
            self._wanted.add(kind)
            if self._maps.get(kind) is None:
                self._map_timer.start()
        else:
            self._wanted.discard(kind)

    def map_busy(self, kind: str) -> bool:
        """A preview of ``kind`` is being computed (or will be, once the sliders rest)."""
        return kind in self._map_busy or (self._map_timer.isActive() and self._map_wanted(kind))

    def map_error(self, kind: str) -> str:
        """Why the last preview of ``kind`` failed (one sentence), or ""."""
        return self._map_errors.get(kind, "")

    def _map_wanted(self, kind: str) -> bool:
        return bool(self.enabled.get(kind) or kind in self._wanted) and self.is_usable(kind)

    def _clear_maps(self) -> None:
        for kind in CONDITION_KINDS:
            self.runner.supersede_key(f"reference-map-{kind}")
            self._map_busy.discard(kind)
            self._map_errors.pop(kind, None)
            if self._maps[kind] is not None:
                self._maps[kind] = None
                self.maps_changed.emit(kind)

    def _compute_maps(self) -> None:
        if self.loaded is None or self.crop is None:
            return
        source, crop = map_source(self.loaded, self.crop)
        for kind in CONDITION_KINDS:
            if not self._map_wanted(kind):
                continue
            cond = self.condition(kind)
            if kind == "canny":
                def job(ctx, low=cond.low, high=cond.high):
                    return canny_preview(source, crop, low, high, ctx.cancel)
                name = "finding the photo's edges"
            else:
                def job(ctx, models=self.models, model=self.segmenter):
                    return seg_preview(source, crop, models, model, ctx.cancel, ctx.progress)
                name = "segmenting the photo"
            handle = self.runner.submit(name, job, key=f"reference-map-{kind}")
            self._map_busy.add(kind)
            handle.finished.connect(lambda img, k=kind: self._on_map(k, img))
            handle.failed.connect(lambda problem, k=kind: self._on_map_failed(k, str(problem)))
            handle.cancelled.connect(lambda k=kind: self._on_map_failed(k, ""))

    def _on_map(self, kind: str, img: Image.Image) -> None:
        self._map_busy.discard(kind)
        self._map_errors.pop(kind, None)
        self._maps[kind] = pil_to_qimage(img)
        self.maps_changed.emit(kind)

    def _on_map_failed(self, kind: str, message: str) -> None:
        self._map_busy.discard(kind)
        if message:
            self._map_errors[kind] = message
        self.maps_changed.emit(kind)
