"""The QR tab's art engine, driven offscreen with a tiny random-weight SD 1.5 + QR ControlNet
loaded through the app's own path: it queues on the model queue, previews every step, can be
cancelled, says which model is missing and offers the Models dialog, and saves only a poster
whose code scans."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image

from albumstudio.core.qr import ArtQrOptions, QrRequest
from albumstudio.engines.qr_scan import scans_anywhere

LINK = "https://band.example/pre-save/art"


@pytest.fixture
def tab(qtbot):
    from albumstudio.jobs.model_queue import ModelQueue
    from albumstudio.jobs.runner import JobRunner
    from albumstudio.services import Services
    from albumstudio.store.paths import default_paths
    from albumstudio.ui.panels.qr_panel import QrPanel

    services = Services.open(default_paths().ensure())
    runner, queue = JobRunner(), ModelQueue()
    asked: list[str] = []
    panel = QrPanel(runner, services, model_queue=queue, show_models=asked.append)
    panel.asked = asked
    qtbot.addWidget(panel)
    yield panel
    queue.shutdown()
    runner.shutdown()
    services.close()


def art(tiny, steps: int = 2, **fields) -> QrRequest:
    sd, controlnet = tiny
    options = ArtQrOptions(model=sd, controlnet=controlnet, steps=steps, module_px=4,
                           device="cpu", retries=0)
    return QrRequest("art", LINK, options, **{"seed": 3, "title": "Night Owls", **fields})


def test_art_engine_queues_previews_and_saves_a_code_that_scans(tab, qtbot, tiny, tmp_path):
    tab.apply_request(art(tiny))
    assert tab.engine == "art" and tab.art_form.isVisibleTo(tab)
    with qtbot.waitSignal(tab.models_checked, timeout=10000) as found:
        tab.check_models()
    assert found.args == [""] and not tab.models_button.isVisibleTo(tab)
    with qtbot.waitSignal(tab.made, timeout=120000):
        tab.make_button.click()
        assert tab.model_queue.pending() == 1  # on the model queue, not the CPU runner
        assert tab.cancel_button.isEnabled()
    assert tab.previews == 2  # one per diffusion step
    assert tab.badge.text().startswith("✔ The code scans") and "Repair:" in tab.badge.text()
    assert tab.save_button.isEnabled() and not tab.cancel_button.isEnabled()
    out = tmp_path / "art-poster.png"
    tab.save(str(out))
    with Image.open(out) as poster:
        assert poster.size == (1080, 1080)
        assert scans_anywhere(np.asarray(poster.convert("RGB")), LINK)
    [record] = tab.services.history.records("poster", 5)
    assert record.engine == "art" and record.request["options"]["steps"] == 2


def test_cancel_stops_the_painting_and_keeps_save_off(tab, qtbot, tiny):
    tab.apply_request(art(tiny, steps=60))
    seen: list[int] = []

    def cancel_at_first_step(report):
        seen.append(report.step)
        tab.cancel_button.click()

    with qtbot.waitSignal(tab.cancelled, timeout=120000):
        tab.make()
        tab.handle.progress.connect(cancel_at_first_step)
    assert seen and max(seen) < 60  # stopped within a step or two, not after all 60
    assert tab.badge.text().startswith("Cancelled") and not tab.save_button.isEnabled()
    assert tab.services.history.records("poster", 5) == []


def test_a_missing_model_is_named_and_offers_the_models_dialog(tab, qtbot, tiny):
    sd, _ = tiny
    request = art(tiny)
    tab.apply_request(QrRequest("art", LINK, ArtQrOptions(model=sd, controlnet="nobody/no-qr",
                                                          device="cpu"), seed=1))
    with qtbot.waitSignal(tab.models_checked, timeout=10000) as found:
        tab.check_models()
    assert "nobody/no-qr" in found.args[0] and "not installed" in found.args[0]
    assert tab.models_button.isVisibleTo(tab) and "nobody/no-qr" in tab.model_status.text()
    tab.models_button.click()
    assert tab.asked == [tab.model_status.text()]
    with qtbot.waitSignal(tab.problem, timeout=30000) as failed:
        tab.make_button.click()
    assert "nobody/no-qr" in failed.args[0].message and not tab.save_button.isEnabled()
    assert failed.args[0].action_label == "Models…"
    tab.set_engine("plain")  # the offline engine needs nothing
    assert not tab.models_button.isVisibleTo(tab) and request.engine == "art"
