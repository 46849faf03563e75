"""What the QR tests share: one tiny random-weight SD 1.5 + QR ControlNet for the session
(built from configs and saved once; the engine tests and the QR tab's tests load it)."""

import pytest

from tests.support.tiny_sd import build_tiny_controlnet, build_tiny_sd


@pytest.fixture(scope="session")
def tiny(tmp_path_factory):
    folder = tmp_path_factory.mktemp("tiny-qr-sd")
    return str(build_tiny_sd(folder)), str(build_tiny_controlnet(folder / "qr-controlnet"))
