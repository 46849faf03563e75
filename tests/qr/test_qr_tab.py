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


def test_a_history_cover_on_the_poster_and_the_gallery_reruns_it(window, qtbot):  # noqa: F811
    from tests.support.requests import cover_request
    from tests.ui.test_gallery import select

    panel, gallery = window.qr_panel, window.gallery
    cover = window.services.covers.run(cover_request(
        "design", prompt="harbour", title="Harbour Lights", size=256, seed=5, layout="centered"))
    path = cover.outputs[0].path
    panel.refresh_pictures()  # the window does this when a cover is made
    assert panel.picture_box.findData(path) == 1
    assert panel.picture_box.itemText(1) == f"Cover #{cover.id} (design, seed 5)"
    assert panel.request().image_path == ""  # the Picture tab's image (none) until chosen
    gallery.dock.show()
    qtbot.waitUntil(lambda: len(gallery.model.rows()) == 1, timeout=5000)
    select(gallery, cover.id)
    gallery.poster_button.click()  # "Use on a Poster"
    assert panel.picture_box.currentData() == path and panel.request().image_path == path
    assert window.tabs.tabText(window.tabs.currentIndex()) == "QR"
    panel.payload.setText(LINK)
    with qtbot.waitSignal(panel.made, timeout=60000) as first:
        panel.make_button.click()
    poster = first.args[0]
    assert poster.request["image_path"] == path
    qtbot.waitUntil(lambda: len(gallery.model.rows()) == 2, timeout=5000)
    select(gallery, poster.id)
    assert not gallery.poster_button.isEnabled()  # a poster is not poster art
    panel.payload.setText("something else")
    with qtbot.waitSignal(panel.made, timeout=60000) as again:
        gallery.rerun_button.click()  # the poster's own request, made again in the QR tab
    assert panel.payload.text() == LINK
    assert again.args[0].outputs[0].data == open(poster.outputs[0].path, "rb").read()
