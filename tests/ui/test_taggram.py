"""The taggram strip and the tag chips, driven with a hand-made tagger result."""

import pytest

from albumstudio.core.tagging import TagResult, strongest_tags
from albumstudio.jobs.runner import JobRunner
from albumstudio.store.paths import default_paths
from albumstudio.ui.panels.tag_chips import TagChips
from albumstudio.ui.track_session import TrackSession
from albumstudio.ui.waveform.taggram import HEAT, LABEL_WIDTH, TaggramStrip

RESULT = TagResult(
    model="MTT_musicnn",
    tag_names=("techno", "piano", "vocal", "ambient"),
    segment_s=3.0,
    taggram=((0.9, 0.0, 0.3, 0.05), (0.0, 0.8, 0.3, 0.05), (0.9, 0.0, 0.3, 0.05)),
)


def test_top_tags_are_stable_and_filterable():
    assert [n for n, _ in RESULT.top(3)] == ["techno", "vocal", "piano"]
    assert strongest_tags(RESULT, frozenset({"techno"})) == [("vocal", pytest.approx(0.3)),
                                                              ("piano", pytest.approx(0.8 / 3))]
    assert TagResult.from_dict(RESULT.to_dict()) == RESULT


def test_strip_follows_the_waveform_view(qtbot):
    strip = TaggramStrip(rows=3)
    qtbot.addWidget(strip)
    strip.resize(400, strip.height())
    strip.set_result(RESULT)
    strip.set_view(3.0, 3.0)  # exactly the second segment: piano on, techno off
    image = strip.heat_image(50)
    names = [n for _, n in strip.shown_tags()]
    assert names == ["techno", "vocal", "piano"]
    techno, piano = image.pixelColor(25, 0), image.pixelColor(25, 2)
    assert techno.alpha() == 0 and piano.alpha() > 200
    strip.set_view(0.0, 9.0)
    image = strip.heat_image(90)
    assert image.pixelColor(5, 0).alpha() > 200 and image.pixelColor(45, 0).alpha() == 0
    grabbed = strip.grab().toImage()
    x = LABEL_WIDTH + 20
    assert grabbed.pixelColor(x, 6).red() > 100 and grabbed.pixelColor(x, 6).blue() > 100
    assert HEAT.name() == "#ce93d8"


def test_hidden_tags_leave_the_strip(qtbot):
    strip = TaggramStrip(rows=3)
    qtbot.addWidget(strip)
    strip.set_result(RESULT, frozenset({"piano"}))
    assert [n for _, n in strip.shown_tags()] == ["techno", "vocal", "ambient"]
    strip.set_result(None)
    assert strip.shown_tags() == []
    strip.grab()  # paints the message without error


def test_chips_remove_and_restore_tags(qtbot):
    runner = JobRunner()
    session = TrackSession(runner, default_paths().ensure())
    chips = TagChips(session)
    qtbot.addWidget(chips)
    session.music_tags = RESULT
    session.music_tags_changed.emit(RESULT)
    names = [c.property("tag") for c in chips.chips]
    assert names == ["techno", "vocal", "piano"]
    chips.chips[0].click()
    assert session.hidden_tags == {"techno"}
    assert [c.property("tag") for c in chips.chips] == ["vocal", "piano"]
    assert not chips.restore.isHidden()
    chips.restore.click()
    assert session.hidden_tags == frozenset() and len(chips.chips) == 3
    runner.shutdown()
