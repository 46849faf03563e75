"""The Models dialog: every model of the registry with its role, size, licence (and whether it
allows commercial use) and state; download with progress, speed and time left, cancel, verify,
repair, delete, a local folder for a role, the disk space, and where models will run.

Everything slow runs on workers: the network check and the model states on the dialog's own
runner (so a busy window never delays "you are offline"), the device report on the window's,
downloads, verifies and repairs on a single-thread runner of the dialog, so several downloads
queue. Closing the dialog cancels them (what has arrived is kept for a resume) and
joins the worker.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from albumstudio.core.jobs import Progress, format_eta
from albumstudio.core.model_registry import ModelEntry, models
from albumstudio.jobs.runner import JobContext, JobHandle, JobRunner
from albumstudio.services.model_manager import (
    RECOMMENDED_ROLES,
    CheckReport,
    DownloadProgress,
    ModelManager,
    ModelStatus,
    acknowledge,
    device_report,
    needs_acknowledgement,
    time_estimate,
)

COLUMNS = ("Role", "Model", "Size", "Licence", "Commercial use", "State")
STATE_COLUMN = 5
ESTIMATE_STEPS = 20


def _lower(sentence: str) -> str:
    return sentence[:1].lower() + sentence[1:]


def _size(entry: ModelEntry, status: ModelStatus | None) -> str:
    if status is not None and status.bytes_on_disk:
        return f"{status.bytes_on_disk / 1e9:.2f} GB" if status.bytes_on_disk >= 1e9 \
            else f"{status.bytes_on_disk / 1e6:.0f} MB"
    return f"{entry.size_mb / 1000:.1f} GB" if entry.size_mb >= 1000 else f"{entry.size_mb} MB"


class ModelsDialog(QDialog):
    """``manager`` and ``history`` (for the CPU time estimate) are passed in by the window."""

    status_changed = Signal(str, str)  # model id, state (after every refresh of a row)
    online_checked = Signal(str)  # "" when the hub answers, else the sentence saying why not

    def __init__(self, runner: JobRunner, parent: QWidget | None = None,
                 manager: ModelManager | None = None, history: Any = None,
                 about: str = "") -> None:
        """``about``: the sentence that sent the artist here ("… (MusicGen small's id) is
        not installed …"); the model it names is selected, ready to download."""
        super().__init__(parent)
        self.setWindowTitle("Models")
        self.resize(1200, 560)
        self.runner = runner
        self.manager = manager or ModelManager()
        self.history = history
        self.work = JobRunner(max_threads=1, parent=self)  # downloads queue here
        self.quick = JobRunner(max_threads=2, parent=self)  # the network check and the states
        self.entries = list(models())
        self.statuses: dict[str, ModelStatus] = {}
        self.jobs: dict[str, JobHandle] = {}  # model id → its download / verify / repair
        self.offline = ""
        self._closed = False

        layout = QVBoxLayout(self)
        top = QHBoxLayout()
        self.network = QLabel("Checking the connection to the hub…")
        self.network.setWordWrap(True)
        self.retry_button = QPushButton("Check Again")
        self.retry_button.hide()
        self.retry_button.clicked.connect(self.check_network)
        top.addWidget(self.network, 1)
        top.addWidget(self.retry_button)
        layout.addLayout(top)
        self.table = QTableWidget(len(self.entries), len(COLUMNS))
        self.table.setHorizontalHeaderLabels(COLUMNS)
        self.table.verticalHeader().hide()
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(True)
        for row, entry in enumerate(self.entries):
            commercial = "yes" if entry.commercial_use else "no (non-commercial licence)"
            values = (entry.role, entry.id, _size(entry, None), entry.license, commercial,
                      "shipped with AlbumStudio" if entry.bundled else "checking…")
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(f"{entry.purpose}\n{entry.url}" + (f"\n{entry.note}"
                                                                    if entry.note else ""))
                self.table.setItem(row, column, item)
        self.table.itemSelectionChanged.connect(self._selection_changed)
        layout.addWidget(self.table, 1)

        self.detail = QLabel("")
        self.detail.setWordWrap(True)
        layout.addWidget(self.detail)
        buttons = QHBoxLayout()
        self.download_button = QPushButton("Download")
        self.cancel_button = QPushButton("Cancel")
        self.verify_button = QPushButton("Verify")
        self.repair_button = QPushButton("Repair")
        self.delete_button = QPushButton("Delete")
        self.folder_button = QPushButton("Local Folder…")
        self.licence_button = QPushButton("I Understand the Licence")
        self.pack_button = QPushButton("Download the Recommended Pack")
        self.pack_button.setToolTip("Stable Diffusion 1.5, the canny ControlNet, the LCM-LoRA "
                                    "and BLIP: what the diffusion covers use most")
        for button, slot in ((self.download_button, self.download_selected),
                             (self.cancel_button, self.cancel_selected),
                             (self.verify_button, self.verify_selected),
                             (self.repair_button, self.repair_selected),
                             (self.delete_button, self.delete_selected),
                             (self.folder_button, self.choose_folder),
                             (self.licence_button, self.acknowledge_selected),
                             (self.pack_button, self.download_recommended)):
            button.clicked.connect(slot)
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout.addLayout(buttons)
        self.progress_bar = QProgressBar()
        self.progress_bar.setRange(0, 1000)
        self.progress_bar.hide()
        self.progress_text = QLabel("")
        layout.addWidget(self.progress_bar)
        layout.addWidget(self.progress_text)
        self.message = QLabel("")
        self.message.setWordWrap(True)
        layout.addWidget(self.message)
        self.disk = QLabel("")
        self.devices = QLabel("Looking for GPUs…")
        self.devices.setWordWrap(True)
        layout.addWidget(self.disk)
        layout.addWidget(self.devices)
        close = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        close.rejected.connect(self.reject)
        layout.addWidget(close)

        self.check_network()  # first, so that being offline is said within a second
        self.refresh()
        if parent is not None:  # the window closing closes the downloads too
            parent.installEventFilter(self)
            self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)  # one per opening, then gone
        found = self.runner.submit("looking for GPUs", lambda ctx: device_report())
        found.finished.connect(self._show_devices)
        named = [e for e in self.entries if e.id in about]
        if named:
            self.select(named[0].id)
        self._selection_changed()

    # ---- states ------------------------------------------------------------------------

    def row_of(self, model_id: str) -> int:
        return next(i for i, e in enumerate(self.entries) if e.id == model_id)

    def _cell(self, model_id: str, column: int) -> QTableWidgetItem:
        item = self.table.item(self.row_of(model_id), column)
        assert item is not None
        return item

    def selected(self) -> ModelEntry | None:
        rows = {i.row() for i in self.table.selectedIndexes()}
        return self.entries[min(rows)] if rows else None

    def select(self, model_id: str) -> None:
        self.table.selectRow(self.row_of(model_id))

    def refresh(self, model_id: str | None = None) -> None:
        """Read the states again (all models, or one) on a worker."""
        manager = self.manager
        wanted = [e for e in self.entries if model_id in (None, e.id)]

        def read(ctx: JobContext) -> tuple[list[ModelStatus], Any]:
            return [manager.status(e) for e in wanted], manager.disk()

        handle = self.quick.submit("reading the model states", read)
        handle.finished.connect(self._show_states)
        handle.failed.connect(lambda problem: self.message.setText(str(problem)))

    def _show_states(self, result: tuple[list[ModelStatus], Any]) -> None:
        if self._closed:
            return
        states, disk = result
        for status in states:
            self.statuses[status.entry.id] = status
            self._cell(status.entry.id, 2).setText(_size(status.entry, status))
            if status.entry.id not in self.jobs:
                text = "shipped with AlbumStudio" if status.state == "bundled" else status.state
                self._cell(status.entry.id, STATE_COLUMN).setText(text)
                self._cell(status.entry.id, STATE_COLUMN).setToolTip(status.detail)
            self.status_changed.emit(status.entry.id, status.state)
        self.disk.setText(f"Hugging Face cache {disk.cache}: {disk.used_bytes / 1e9:.2f} GB used "
                          f"by these models, {disk.free_bytes / 1e9:.1f} GB free.")
        self._selection_changed()

    def check_network(self) -> None:
        """Ask whether the hub answers (within a second), on a worker."""
        manager = self.manager
        self.retry_button.setEnabled(False)
        check = self.quick.submit("checking the connection", lambda ctx: manager.check_online())
        check.finished.connect(lambda _r: self._online(""))
        check.failed.connect(lambda problem: self._online(str(problem)))

    def _online(self, problem: str) -> None:
        if self._closed:
            return
        self.retry_button.setVisible(bool(problem))
        self.retry_button.setEnabled(True)
        self.offline = problem
        self.network.setText(problem or f"Connected to {self.manager.endpoint}: models can be "
                             "downloaded into your Hugging Face cache (shared with other tools).")
        self.online_checked.emit(problem)
        self._selection_changed()

    def _show_devices(self, report: Any) -> None:
        if self._closed:
            return
        lines = report.lines()
        if report.device == "cpu":
            lines.append(f"A {ESTIMATE_STEPS}-step diffusion cover: "
                         f"{_lower(time_estimate(self.history, ESTIMATE_STEPS).sentence)}")
        self.devices.setText("\n".join(lines))

    def _selection_changed(self) -> None:
        entry = self.selected()
        status = self.statuses.get(entry.id) if entry is not None else None
        busy = entry is not None and entry.id in self.jobs
        fetchable = entry is not None and entry.downloadable
        on_disk = status is not None and status.state in ("present", "incomplete", "damaged")
        pack = [e for e in self._pack() if e.id not in self.jobs]
        self.pack_button.setEnabled(bool(pack) and not self.offline)
        self.pack_button.setText(f"Download the Recommended Pack "
                                 f"({sum(e.size_mb for e in pack) / 1000:.1f} GB)" if pack
                                 else "Recommended Pack Here")
        self.download_button.setEnabled(fetchable and not busy and not self.offline and
                                        (status is None or status.state != "present"))
        self.cancel_button.setEnabled(busy)
        self.verify_button.setEnabled(on_disk and not busy)
        self.repair_button.setEnabled(on_disk and not busy and not self.offline)
        self.delete_button.setEnabled(fetchable and not busy and status is not None
                                      and status.state != "missing")
        self.folder_button.setEnabled(entry is not None and not entry.bundled)
        needs = entry is not None and needs_acknowledgement(entry.id, self.manager.paths)
        self.licence_button.setEnabled(needs)
        if entry is None:
            self.detail.setText("Choose a model to download, check or remove it.")
            return
        words = [entry.purpose + "."]
        if status is not None:
            words.append(status.detail)
        if not entry.commercial_use:
            words.append(f"Licence {entry.license}: not for commercial use"
                         + (" (not yet acknowledged)." if needs else " (acknowledged)."))
        self.detail.setText(" ".join(words))

    # ---- actions -----------------------------------------------------------------------

    def _submit(self, entry: ModelEntry, verb: str, fn: Any) -> JobHandle:
        handle = self.work.submit(f"{verb} {entry.id}", fn)
        self.jobs[entry.id] = handle
        self._cell(entry.id, STATE_COLUMN).setText("queued")
        handle.progress.connect(lambda p, e=entry, v=verb: self._progress(e, v, p))
        handle.finished.connect(lambda result, e=entry, v=verb: self._finished(e, v, result))
        handle.failed.connect(lambda problem, e=entry: self._ended(e, str(problem)))
        handle.cancelled.connect(lambda e=entry: self._ended(
            e, f"Stopped {e.id}; what has arrived is kept, and Download continues from there."))
        self._selection_changed()
        return handle

    def download_selected(self) -> None:
        entry = self.selected()
        if entry is None or entry.id in self.jobs:
            return
        manager, model_id = self.manager, entry.id
        self._submit(entry, "downloading",
                     lambda ctx: manager.download(model_id, ctx.progress, ctx.cancel))

    def _pack(self) -> list[ModelEntry]:
        """The recommended pack's models that are known to be missing or unfinished."""
        wanted = [self.manager.entry(role) for role in RECOMMENDED_ROLES]
        return [e for e in wanted if e.id in self.statuses and not self.statuses[e.id].usable]

    def download_recommended(self) -> None:
        """Queue every model of the recommended pack that is not here yet."""
        manager = self.manager
        for entry in self._pack():
            if entry.id not in self.jobs:
                self._submit(entry, "downloading", lambda ctx, m=entry.id: manager.download(
                    m, ctx.progress, ctx.cancel))

    def verify_selected(self) -> None:
        entry = self.selected()
        if entry is None or entry.id in self.jobs:
            return
        manager, model_id = self.manager, entry.id
        self._submit(entry, "checking", lambda ctx: manager.verify(model_id, ctx.progress,
                                                                   ctx.cancel))

    def repair_selected(self) -> None:
        entry = self.selected()
        if entry is None or entry.id in self.jobs:
            return
        manager, model_id = self.manager, entry.id
        self._submit(entry, "repairing", lambda ctx: manager.repair(model_id, ctx.progress,
                                                                    ctx.cancel))

    def cancel_selected(self) -> None:
        entry = self.selected()
        if entry is not None and entry.id in self.jobs:
            self.jobs[entry.id].cancel()

    def delete_selected(self) -> None:
        entry = self.selected()
        if entry is None or entry.id in self.jobs:
            return
        manager, model_id = self.manager, entry.id
        handle = self.quick.submit(f"deleting {model_id}", lambda ctx: manager.remove(model_id))
        handle.finished.connect(lambda freed: self._deleted(model_id, freed))
        handle.failed.connect(lambda problem: self.message.setText(str(problem)))

    def _deleted(self, model_id: str, freed: int) -> None:
        if not self._closed:
            self.message.setText(f"Deleted {model_id} from the Hugging Face cache "
                                 f"({freed / 1e6:.0f} MB freed).")
            self.refresh(model_id)

    def choose_folder(self, folder: str | None = None) -> None:
        """Use a local folder for the selected model's role (asks for one when not given)."""
        entry = self.selected()
        if entry is None:
            return
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self, f"Folder for {entry.role}")
            if not folder:
                return
        from albumstudio.core.errors import UserFacingError

        try:
            self.manager.set_local_folder(entry.role, folder)
        except UserFacingError as exc:
            self.message.setText(exc.message)
            return
        self.message.setText(f"{entry.role} now uses {folder}.")
        self.refresh()

    def acknowledge_selected(self) -> None:
        entry = self.selected()
        if entry is not None:
            from albumstudio.core.errors import UserFacingError

            try:
                acknowledge(entry.id, self.manager.paths)
            except UserFacingError as exc:
                self.message.setText(exc.message)
                return
            self.message.setText(f"Noted: what you make with {entry.id} is for non-commercial "
                                 "use only.")
            self._selection_changed()

    # ---- job reports -------------------------------------------------------------------

    def _progress(self, entry: ModelEntry, verb: str, report: Progress) -> None:
        if self._closed:
            return
        percent = int(report.fraction * 100)
        self._cell(entry.id, STATE_COLUMN).setText(f"{verb} {percent} %")
        self.progress_bar.show()
        self.progress_bar.setValue(int(report.fraction * 1000))
        eta = "" if isinstance(report, DownloadProgress) else f" · {format_eta(report.eta_s)}"
        self.progress_text.setText(f"{entry.id}: {report.text}{eta}")

    def _done(self, entry: ModelEntry) -> None:
        self.jobs.pop(entry.id, None)
        if not self.jobs:
            self.progress_bar.hide()
            self.progress_text.setText("")
        self.refresh(entry.id)

    def _finished(self, entry: ModelEntry, verb: str, result: object) -> None:
        if self._closed:
            return
        if isinstance(result, CheckReport):
            self.message.setText(result.sentence())
        elif isinstance(result, ModelStatus):
            self.message.setText(f"{entry.id}: {result.detail}")
        self._done(entry)

    def _ended(self, entry: ModelEntry, text: str) -> None:
        if self._closed:
            return
        self.message.setText(text)
        self._done(entry)

    # ---- closing -----------------------------------------------------------------------

    def done(self, result: int) -> None:
        """Closing cancels every download (kept for a resume) and joins the worker."""
        self.shutdown()
        super().done(result)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
        if event.type() == QEvent.Type.Close and watched is self.parent():
            self.shutdown()
        return False

    def closeEvent(self, event: Any) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)

    def shutdown(self) -> None:
        if self._closed:
            return
        self._closed = True
        self.work.shutdown()
        self.quick.shutdown()
        self.jobs.clear()


def install_models_offer(window: Any) -> QPushButton:
    """The first-run offer: a button in the window's status bar naming the recommended pack and
    its size, shown (never blocking anything) until the artist has opened it once or the pack
    is here. ``window`` has ``runner``, ``paths``, ``statusBar()`` and ``show_models()``."""
    button = QPushButton("")
    button.setFlat(True)
    button.setToolTip("AlbumStudio works without models; with Stable Diffusion 1.5, the canny "
                      "ControlNet, the LCM-LoRA and BLIP its covers can follow your photo.")
    button.hide()
    window.statusBar().addPermanentWidget(button)
    manager = ModelManager(window.paths)

    def offer(text: object) -> None:
        if text:
            button.setText(str(text))
            button.show()

    def take() -> None:
        manager.offer_seen()
        button.hide()
        window.show_models()

    button.clicked.connect(take)
    handle = window.runner.submit("looking at the models", lambda ctx: manager.first_run_offer())
    handle.finished.connect(offer)
    return button
