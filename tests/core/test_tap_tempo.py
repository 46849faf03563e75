"""Tap tempo: a median of the taps' intervals, a fresh count after a pause."""

from __future__ import annotations

from albumstudio.core.tap_tempo import TapTempo


def test_four_taps_give_the_tempo_and_a_stray_tap_does_not_swing_it():
    taps = TapTempo()
    assert [taps.tap(t) for t in (0.0, 0.5, 1.0)] == [None, None, None]
    assert taps.tap(1.5) == 120.0
    assert taps.tap(1.9) == 120.0  # one early tap: the median holds
    assert taps.tap(2.5) == 120.0


def test_a_pause_starts_a_new_count():
    taps = TapTempo()
    for t in (0.0, 0.5, 1.0, 1.5):
        taps.tap(t)
    assert taps.tap(5.0) is None and taps.count == 1
    for t in (5.75, 6.5, 7.25):
        last = taps.tap(t)
    assert last == 80.0
