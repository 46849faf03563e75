"""The caption lane follows the waveform's zoom and scroll, one caption per segment."""

from PySide6.QtGui import QImage

from albumstudio.ui.waveform.caption_lane import BOX, CaptionLane, LaneCaption

CAPTIONS = (LaneCaption(0.0, 10.0, "a calm piano intro"),
            LaneCaption(10.0, 20.0, "drums and bass enter with an upbeat groove"),
            LaneCaption(20.0, 30.0, "a soft ending"))


def test_boxes_follow_zoom_and_scroll(qtbot):
    lane = CaptionLane()
    qtbot.addWidget(lane)
    lane.resize(300, lane.height())
    lane.set_captions(CAPTIONS)
    lane.set_view(0.0, 30.0)
    boxes = lane.boxes()
    assert [round(b.left()) for b, _ in boxes] == [0, 100, 200]
    assert [round(b.width()) for b, _ in boxes] == [100, 100, 100]
    lane.set_view(10.0, 10.0)  # zoomed in on the second segment
    boxes = lane.boxes()
    assert [c.text for _, c in boxes] == [CAPTIONS[1].text]
    assert round(boxes[0][0].left()) == 0 and round(boxes[0][0].width()) == 300
    lane.set_view(15.0, 10.0)  # scrolled half a segment on
    assert [c.start_s for _, c in lane.boxes()] == [10.0, 20.0]
    assert lane.caption_at(10.0) == CAPTIONS[1] and lane.caption_at(200.0) == CAPTIONS[2]


def test_paints_captions_or_the_message(qtbot):
    lane = CaptionLane()
    qtbot.addWidget(lane)
    lane.resize(300, lane.height())
    lane.set_view(0.0, 30.0)
    assert lane.boxes() == []
    lane.set_captions(CAPTIONS)
    image = QImage(lane.size(), QImage.Format.Format_ARGB32)
    lane.render(image)
    edge = image.pixelColor(100, lane.height() // 2)  # the second box's left edge
    assert (edge.red(), edge.green(), edge.blue()) == (BOX.red(), BOX.green(), BOX.blue())
