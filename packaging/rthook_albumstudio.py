"""PyInstaller runtime hook: runs in the bundle before the app's own code.

On Linux sounddevice finds PortAudio with ``ctypes.util.find_library("portaudio")``, which
only looks at the system's libraries; the bundle carries its own libportaudio.so.2, so the
lookup answers with that one (the system's is used when the bundle's is missing).
"""

import ctypes.util
import os
import sys

_here = getattr(sys, "_MEIPASS", None)
if _here and sys.platform.startswith("linux"):
    _bundled = os.path.join(_here, "portaudio", "libportaudio.so.2")
    _system_find = ctypes.util.find_library

    def _find_library(name: str):  # type: ignore[no-untyped-def]
        if name == "portaudio" and os.path.exists(_bundled):
            return _bundled
        return _system_find(name)

    ctypes.util.find_library = _find_library
