"""The Models dialog driven through its buttons against a tiny hub on 127.0.0.1."""

from __future__ import annotations

import socket
import time

import pytest

from albumstudio.core.model_registry import default_model, models, use_local_folders
from albumstudio.jobs.runner import JobRunner
from albumstudio.services.model_manager import ModelManager, needs_acknowledgement
from albumstudio.ui.dialogs.models_dialog import STATE_COLUMN, ModelsDialog
from tests.services.test_model_manager_downloads import SEG, seg_repo, tiny_weights
from tests.support.tiny_hub import Repo, TinyHub

LCM = "latent-consistency/lcm-lora-sdv1-5"


@pytest.fixture
def hub(tmp_path, monkeypatch):
    served = TinyHub({SEG: seg_repo(),
                      LCM: Repo({"pytorch_lora_weights.safetensors": tiny_weights(200_000, 1)})})
    served.start()
    monkeypatch.setenv("HF_HUB_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.setenv("HF_ENDPOINT", served.endpoint)
    yield served
    served.stop()


@pytest.fixture(autouse=True)
def no_local_folders_afterwards():
    yield
    use_local_folders({})


@pytest.fixture
def runner():
    jobs = JobRunner(max_threads=2)
    yield jobs
    jobs.shutdown()


def open_dialog(qtbot, runner, manager=None):
    dialog = ModelsDialog(runner, manager=manager)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitUntil(lambda: state(dialog, SEG) != "checking…", timeout=5000)
    return dialog


def state(dialog, model_id):
    return dialog.table.item(dialog.row_of(model_id), STATE_COLUMN).text()


def wait_state(qtbot, dialog, model_id, wanted, timeout=10000):
    qtbot.waitUntil(lambda: state(dialog, model_id) == wanted and model_id not in dialog.jobs,
                    timeout=timeout)


def test_the_dialog_lists_every_model_with_its_licence_and_state(hub, qtbot, runner):
    dialog = open_dialog(qtbot, runner)
    assert dialog.table.rowCount() == len(models())
    qtbot.waitUntil(lambda: dialog.offline == "" and "Connected" in dialog.network.text(),
                    timeout=3000)
    for entry in models():
        row = dialog.row_of(entry.id)
        assert dialog.table.item(row, 3).text() == entry.license
        assert dialog.table.item(row, 4).text().startswith("yes" if entry.commercial_use else "no")
        assert state(dialog, entry.id) == ("shipped with AlbumStudio" if entry.bundled
                                           else "missing")
    assert "GB free" in dialog.disk.text()
    qtbot.waitUntil(lambda: "Looking" not in dialog.devices.text(), timeout=30000)
    assert "Models run on" in dialog.devices.text()


def test_download_shows_progress_and_queues_a_second_download(hub, qtbot, runner):
    hub.delay_s, hub.chunk = 0.01, 16 * 1024
    dialog = open_dialog(qtbot, runner)
    seen: list[float] = []
    dialog.select(SEG)
    dialog.download_button.click()
    dialog.jobs[SEG].progress.connect(lambda p: seen.append(p.bytes_done))
    dialog.select(LCM)
    dialog.download_button.click()
    assert state(dialog, LCM) == "queued"
    qtbot.waitUntil(lambda: "MB/s" in dialog.progress_text.text(), timeout=5000)
    assert state(dialog, SEG).startswith("downloading") and dialog.progress_bar.isVisible()
    assert " left" in dialog.progress_text.text()  # the time left
    assert state(dialog, LCM) == "queued"  # one at a time
    wait_state(qtbot, dialog, SEG, "present")
    wait_state(qtbot, dialog, LCM, "present")
    assert len(seen) > 2 and seen == sorted(seen)
    assert not dialog.progress_bar.isVisible()


def test_cancel_keeps_what_arrived_and_download_resumes(hub, qtbot, runner):
    hub.delay_s, hub.chunk = 0.01, 16 * 1024
    dialog = open_dialog(qtbot, runner)
    dialog.select(SEG)
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() > 100, timeout=5000)
    assert dialog.cancel_button.isEnabled()
    dialog.cancel_button.click()
    wait_state(qtbot, dialog, SEG, "incomplete")
    assert "Stopped" in dialog.message.text()
    hub.delay_s = 0.0
    dialog.select(SEG)
    dialog.download_button.click()
    wait_state(qtbot, dialog, SEG, "present")
    ranges = [r[2] for r in hub.requests if r[1].endswith("/model.safetensors")]
    assert ranges[-1].startswith("bytes=") and ranges[-1] != "bytes=0-"


def test_verify_finds_damage_and_repair_mends_it_then_delete(hub, qtbot, runner):
    manager = ModelManager()
    manager.download(SEG)
    status = manager.status(manager.entry(SEG))
    blob = (manager.cache / f"models--{SEG.replace('/', '--')}" / "snapshots" / status.commit /
            "model.safetensors").resolve()
    data = bytearray(blob.read_bytes())
    data[-1] ^= 0x01
    blob.write_bytes(bytes(data))
    dialog = open_dialog(qtbot, runner, manager)
    dialog.select(SEG)
    dialog.verify_button.click()
    wait_state(qtbot, dialog, SEG, "damaged")
    assert "damaged" in dialog.message.text() and dialog.repair_button.isEnabled()
    dialog.repair_button.click()
    wait_state(qtbot, dialog, SEG, "present")
    assert manager.verify(SEG).ok
    dialog.select(SEG)
    dialog.delete_button.click()
    wait_state(qtbot, dialog, SEG, "missing")
    assert "freed" in dialog.message.text()


def test_offline_is_said_within_a_second_and_download_is_off(hub, qtbot, runner):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    manager = ModelManager(endpoint=f"http://127.0.0.1:{port}")
    started = time.monotonic()
    dialog = ModelsDialog(runner, manager=manager)
    qtbot.addWidget(dialog)
    with qtbot.waitSignal(dialog.online_checked, timeout=1000) as said:
        dialog.show()
    assert time.monotonic() - started < 1.5
    assert "offline" in said.args[0] and "offline" in dialog.network.text()
    qtbot.waitUntil(lambda: state(dialog, SEG) == "missing", timeout=5000)
    dialog.select(SEG)
    assert not dialog.download_button.isEnabled()
    assert dialog.retry_button.isVisible()
    manager._endpoint = hub.endpoint  # the network is back
    with qtbot.waitSignal(dialog.online_checked, timeout=2000) as said:
        dialog.retry_button.click()
    assert said.args[0] == "" and not dialog.retry_button.isVisible()
    assert dialog.download_button.isEnabled()


def test_closing_cancels_a_running_download_and_joins(hub, qtbot, runner):
    hub.delay_s, hub.chunk = 0.02, 16 * 1024
    dialog = open_dialog(qtbot, runner)
    dialog.select(SEG)
    dialog.download_button.click()
    qtbot.waitUntil(lambda: dialog.progress_bar.value() > 0, timeout=5000)
    started = time.monotonic()
    dialog.close()
    assert time.monotonic() - started < 3
    assert dialog.work.pool.activeThreadCount() == 0
    assert ModelManager().status(ModelManager().entry(SEG)).state == "incomplete"


def test_licence_and_local_folder(hub, qtbot, runner, tmp_path):
    dialog = open_dialog(qtbot, runner)
    dialog.select("facebook/musicgen-small")
    assert dialog.licence_button.isEnabled() and "not yet acknowledged" in dialog.detail.text()
    dialog.licence_button.click()
    assert not needs_acknowledgement("musicgen") and not dialog.licence_button.isEnabled()
    folder = tmp_path / "my-sd"
    folder.mkdir()
    (folder / "model_index.json").write_text("{}")
    dialog.select("stable-diffusion-v1-5/stable-diffusion-v1-5")
    dialog.choose_folder(str(folder))
    wait_state(qtbot, dialog, "stable-diffusion-v1-5/stable-diffusion-v1-5", "local folder")
    assert default_model("sd15") == str(folder.resolve())
    dialog.choose_folder(str(tmp_path / "nowhere"))
    assert "not a folder" in dialog.message.text()


def test_the_recommended_pack_queues_its_missing_models(hub, qtbot, runner):
    dialog = open_dialog(qtbot, runner)
    qtbot.waitUntil(lambda: dialog.pack_button.isEnabled(), timeout=3000)
    assert "GB)" in dialog.pack_button.text()
    dialog.pack_button.click()
    # the tiny hub holds only the LCM-LoRA of the pack: it arrives, the others fail in a sentence
    wait_state(qtbot, dialog, LCM, "present")
    qtbot.waitUntil(lambda: not dialog.jobs, timeout=10000)
    assert state(dialog, "stable-diffusion-v1-5/stable-diffusion-v1-5") == "missing"


def test_the_first_run_offer_sits_in_the_status_bar_until_opened_once(hub, qtbot):
    from PySide6.QtWidgets import QDialog

    from albumstudio.store.paths import default_paths
    from albumstudio.ui.main_window import MainWindow

    window = MainWindow(default_paths().ensure())
    qtbot.addWidget(window)
    window.show()
    try:
        offer = window.models_offer
        qtbot.waitUntil(offer.isVisible, timeout=5000)
        assert "recommended models" in offer.text() and "GB" in offer.text()
        offer.click()
        dialog = next(d for d in window.findChildren(QDialog) if d.windowTitle() == "Models")
        assert not offer.isVisible()
        dialog.close()
        assert ModelManager().first_run_offer() is None  # not offered again
    finally:
        window.shutdown()


def test_closing_the_window_stops_the_dialogs_downloads(hub, qtbot):
    from PySide6.QtWidgets import QDialog

    from albumstudio.store.paths import default_paths
    from albumstudio.ui.main_window import MainWindow

    hub.delay_s, hub.chunk = 0.02, 16 * 1024
    window = MainWindow(default_paths().ensure())
    qtbot.addWidget(window)
    window.show()
    try:
        window.show_models()
        dialog = next(d for d in window.findChildren(QDialog) if d.windowTitle() == "Models")
        qtbot.waitUntil(lambda: state(dialog, SEG) == "missing", timeout=5000)
        dialog.select(SEG)
        dialog.download_button.click()
        qtbot.waitUntil(lambda: dialog.progress_bar.value() > 0, timeout=5000)
        started = time.monotonic()
        window.close()
        assert time.monotonic() - started < 5
        assert dialog.work.pool.activeThreadCount() == 0
        assert ModelManager().status(ModelManager().entry(SEG)).state == "incomplete"
    finally:
        window.shutdown()


def test_a_missing_model_problem_opens_the_dialog_on_that_model_ready_to_fetch(hub, window,
                                                                               qtbot):
    from PySide6.QtWidgets import QDialog

    from albumstudio.core.errors import ACTION_OPEN_MODELS, Problem

    window.show_error(Problem(f"The segmentation model ({SEG}) is not installed.",
                              ACTION_OPEN_MODELS))
    window.banner.action.click()
    dialog = next(d for d in window.findChildren(QDialog) if d.windowTitle() == "Models")
    assert dialog.selected().id == SEG
    qtbot.waitUntil(dialog.download_button.isEnabled, timeout=5000)
    dialog.download_button.click()
    wait_state(qtbot, dialog, SEG, "present")
    dialog.close()
