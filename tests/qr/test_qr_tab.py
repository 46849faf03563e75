"""The QR tab, driven offscreen: Make gives a preview and a scan badge, Save writes the poster
that scanned, and bad input is one sentence with Save kept off."""

from __future__ import annotations

import numpy as np
from PIL import Image

from albumstudio.engines.qr_scan import scans_anywhere
from tests.ui.conftest import window  # noqa: F401  (the main window, offscreen)

LINK = "https://band.example/pre-save/night-owls"


def test_make_badge_and_save(window, qtbot, tmp_path):  # noqa: F811
    panel = window.qr_panel
    assert window.tabs.tabText(window.tabs.indexOf(panel.parentWidget().parentWidget())) == "QR"
    assert not panel.save_button.isEnabled()
    panel.payload.setText(LINK)
    panel.title.setText("Midnight Drive")
    with qtbot.waitSignal(panel.made, timeout=60000):
        panel.make_button.click()
    assert panel.badge.text().startswith("✔ The code scans with zxing-cpp and opencv")
    assert panel.save_button.isEnabled() and panel.preview.pixmap() is not None
    out = tmp_path / "poster.png"
    panel.save(str(out))
    with Image.open(out) as poster:
        assert poster.size == (1080, 1080)
        assert scans_anywhere(np.asarray(poster.convert("RGB")), LINK)
    assert window.services.history.records("poster", 5)[0].kind == "poster"


def test_bad_input_keeps_save_off(window, qtbot):  # noqa: F811
    panel = window.qr_panel
    panel.payload.setText("")
    with qtbot.waitSignal(panel.problem, timeout=5000):
        panel.make_button.click()
    assert "empty" in panel.badge.text() and not panel.save_button.isEnabled()
