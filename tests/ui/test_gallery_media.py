"""The gallery shows posters and clips as what they are (#13): a PDF poster by the picture kept
beside it when it was made (or its first page, for older entries), a video clip by its cover
frame, an audio clip by its waveform; the detail pane gives duration and format, and Play /
Open hands the file to the system."""

from __future__ import annotations

import numpy as np
import pytest
from PySide6.QtGui import QImage

from albumstudio.core.qr import PlainQrOptions, QrRequest
from tests.support.gallery import RED, clip_record, mp4_bytes, select, wav_bytes


@pytest.fixture
def gallery(open_gallery, tmp_path):
    def make(services):
        store = services.history
        return {
            "pdf": services.posters.run(QrRequest("plain", "https://band.example/a4",
                                                  PlainQrOptions(), title="Print", size="a4",
                                                  format="pdf")),
            "video": store.record(clip_record("video/mp4", mp4_bytes(tmp_path / "c.mp4"), 0.5,
                                              "Video")),
            "audio": store.record(clip_record("audio/wav", wav_bytes(), 2.0, "Audio")),
        }

    return open_gallery(make)


def _thumbnail(panel, qtbot, record) -> np.ndarray:
    output = record.outputs[0]
    qtbot.waitUntil(lambda: panel.thumbnails.pixmap(output.file_hash, output.extension)
                    is not None, timeout=20000)
    import io

    from PIL import Image
    from PySide6.QtCore import QBuffer, QIODevice

    buffer = QBuffer()
    buffer.open(QIODevice.OpenModeFlag.WriteOnly)
    panel.thumbnails.pixmap(output.file_hash, output.extension).save(buffer, "PNG")
    with Image.open(io.BytesIO(bytes(buffer.data()))) as image:
        return np.asarray(image.convert("RGB"))


def test_posters_and_clips_get_real_thumbnails(gallery, qtbot):
    panel, made = gallery
    assert len(panel.model.rows()) == 3
    pdf = _thumbnail(panel, qtbot, made["pdf"])
    assert pdf.shape[0] > pdf.shape[1]  # an A4 page, upright
    assert pdf.std() > 20  # a poster, not the flat placeholder
    assert panel.store.preview_path(made["pdf"].outputs[0].file_hash).exists()
    video = _thumbnail(panel, qtbot, made["video"])
    centre = video[video.shape[0] // 2, video.shape[1] // 2].astype(int)
    assert np.abs(centre - RED).max() < 40  # the video's own frame
    audio = _thumbnail(panel, qtbot, made["audio"])
    lit = (np.abs(audio.astype(int) - (120, 200, 255)).max(axis=2) < 30).mean(axis=0)
    quarter = audio.shape[1] // 4
    assert lit[quarter:2 * quarter].mean() < lit[2 * quarter:3 * quarter].mean()  # it swells


def test_a_pdf_made_before_previews_is_drawn_from_its_first_page(gallery, qtbot):
    pytest.importorskip("pypdfium2")
    panel, made = gallery
    store = panel.store
    data = open(made["pdf"].outputs[0].path, "rb").read()
    store.preview_path(made["pdf"].outputs[0].file_hash).unlink()
    for old in store.thumbs.rglob(f"{made['pdf'].outputs[0].file_hash}-*"):
        old.unlink()
    png = store.thumbnail_of(made["pdf"].outputs[0].file_hash, ".pdf", 96)
    image = QImage.fromData(png)
    assert image.height() == 96 and image.width() < 96 and len(data) > 0


def test_detail_pane_gives_duration_and_format_and_opens_the_clip(gallery, qtbot):
    panel, made = gallery
    opened = []
    panel.open_url = opened.append
    select(panel, made["audio"].id)
    text = panel.details.toPlainText()
    assert "duration: 2.0 s" in text and "format: WAV audio" in text
    assert not panel.reference_button.isEnabled() and not panel.poster_button.isEnabled()
    panel.open_button.click()
    assert [u.toLocalFile() for u in opened] == [made["audio"].outputs[0].path]
    select(panel, made["video"].id)
    assert "format: MP4 video (H.264, AAC), 64×64" in panel.details.toPlainText()
    select(panel, made["pdf"].id)
    assert "format: PDF (print)" in panel.details.toPlainText()
    [row] = [r for r in panel.model.rows() if r.job_id == made["pdf"].id]
    path = panel.export_copy(row)  # dragged out as it is
    assert path.suffix == ".pdf" and path.read_bytes()[:5] == b"%PDF-"
    panel.kind.setCurrentIndex(panel.kind.findData("clip"))
    qtbot.waitUntil(lambda: len(panel.model.rows()) == 2, timeout=5000)
    panel.kind.setCurrentIndex(panel.kind.findData(None))
    panel.engine.setCurrentIndex(panel.engine.findData("plain"))  # a poster engine
    qtbot.waitUntil(lambda: [r.job_id for r in panel.model.rows()] == [made["pdf"].id],
                    timeout=5000)
