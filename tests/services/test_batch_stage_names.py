"""The batch's per-stage timings name the kit's own steps, those of targets registered after
the built-in ones included (it read a fixed list: one extra target was misnamed, two failed)."""

import time

from albumstudio.core.jobs import Progress
from albumstudio.export.kit_targets import KitTarget, register
from albumstudio.services.batch import _StageClock
from albumstudio.services.kit import kit_steps
from albumstudio.services.kit_targets import kit_targets


def test_stage_timings_follow_the_registered_targets_steps():
    for name in ("credits", "lyrics"):
        register(KitTarget(name, name.title(), f"extras/{name}.txt", lambda ctx: [],
                           make=lambda ctx: None, step=f"writing the {name}"))
    try:
        steps = kit_steps()
        clock = _StageClock()
        for number in range(1, len(steps) + 1):
            clock(Progress(number / len(steps), steps[number - 1], step=number))
            time.sleep(0.001)
        clock.stop()
    finally:
        for name in ("credits", "lyrics"):
            kit_targets().unregister(name)
    assert "writing the credits" in steps and "writing the lyrics" in steps
    assert list(clock.stages) == list(steps)  # every step named as the kit names it
    assert all(seconds > 0 for seconds in clock.stages.values())
