"""The model manager: what is on this computer, download, verify, repair, remove, licences and
devices, for the Models dialog and ``albumstudio models`` alike (Qt-free).

Licences (see :mod:`albumstudio.services.model_licences`): call
``require_acknowledgement(model_or_role)`` before loading a model (it raises a one-sentence
:class:`LicenceNotAcknowledged` until the artist has acknowledged a non-commercial licence once),
and add ``licence_notes(models_used)`` to the job record's notes.
"""

from __future__ import annotations

from albumstudio.services.model_licences import (
    Licence,
    LicenceNotAcknowledged,
    acknowledge,
    licence_notes,
    licence_of,
    needs_acknowledgement,
    require_acknowledgement,
)

__all__ = ["Licence", "LicenceNotAcknowledged", "acknowledge", "licence_notes", "licence_of",
           "needs_acknowledgement", "require_acknowledgement"]
