"""QR posters, from what the artist asked for to a job record in the history (Qt-free: the
CLI and the window share it).

``PosterService.run`` checks the request, runs the poster engine the registry names (kind
"poster": ``plain`` offline, ``art`` with Stable Diffusion and the QR ControlNet), and files a
finished :class:`JobRecord` whose one output is the poster and whose notes carry the scan
report (and the repair, for art). A code that does not scan never reaches a record or a file:
the engine raises instead.
"""

from __future__ import annotations

import json
import os
import threading
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from albumstudio.core.errors import CancelledError, InputError, UserFacingError
from albumstudio.core.jobs import JobRecord, ModelUse, Note, Output, ProgressFn
from albumstudio.core.model_registry import revision_of
from albumstudio.core.qr import (
    POSTER_FORMATS,
    ArtQrOptions,
    PosterResult,
    QrRequest,
    check_art_options,
)
from albumstudio.core.text import display_name
from albumstudio.engines.registry import EngineRegistry, EngineSpec
from albumstudio.services.engine_host import EngineHost
from albumstudio.store.storage import check_place, write_users_file


class PosterService(EngineHost):
    """Runs poster requests on the registered poster engines and files them in the history."""

    def check(self, request: QrRequest) -> EngineSpec:
        """The engine's spec; InputError for anything wrong with the request (engine, size,
        format, payload, colours), before anything is loaded."""
        from albumstudio.engines.qr_poster import check_request

        spec = self.registry.get(request.engine)
        if spec.kind != "poster":
            names = ", ".join(self.registry.names("poster"))
            raise InputError(f"'{request.engine}' makes covers, not posters; choose one of: "
                             f"{names}.")
        if not isinstance(request.options, spec.options_type):
            raise InputError(f"The {spec.label} engine was given another engine's settings; "
                             "choose the engine again.")
        if isinstance(request.options, ArtQrOptions):
            check_art_options(request.options)
        check_request(request)
        return spec

    def preflight(self, request: QrRequest) -> EngineSpec:
        """``check`` plus the models the engine needs (ModelMissingError in one sentence)."""
        from albumstudio.core.errors import ModelMissingError

        spec = self.check(request)
        problem = self.missing_model(request)
        if problem:
            raise ModelMissingError(problem)
        return spec

    def missing_model(self, request: QrRequest) -> str:
        """The sentence naming the first model the request's engine needs and this computer
        lacks (or has damaged), or "" (the request itself is not checked)."""
        from albumstudio.core.model_registry import default_model, role_name
        from albumstudio.engines.models import diagnose

        chosen = {"sd15": getattr(request.options, "model", ""),
                  "controlnet-qr": getattr(request.options, "controlnet", "")}
        for role in self.registry.get(request.engine).model_roles:
            model = chosen.get(role) or default_model(role)
            problem = diagnose(model, role_name(role))
            if problem:
                return problem
        return ""

    def run(self, request: QrRequest, progress: ProgressFn | None = None,
            cancel: threading.Event | None = None, *, record: bool = True) -> JobRecord:
        """Make the poster; the finished job record (kept in the history unless ``record`` is
        False or there is no history). Raises InputError (ScanFailedError included) or
        CancelledError."""
        spec = self.check(request)
        started = time.perf_counter()
        try:
            engine = self.engine(request.engine)
            loaded = time.perf_counter()
            result: PosterResult = engine.run(request, progress, cancel)
        except UserFacingError as exc:
            if record and self.history is not None:
                self.history.record(self._failed(spec, request, str(exc),
                                                 time.perf_counter() - started))
            raise
        if cancel is not None and cancel.is_set():
            raise CancelledError("making the poster")
        if not result.scan.ok:  # engines raise first; this is the last door
            raise InputError(f"The code {result.scan.summary()}; nothing was written.")
        done = time.perf_counter()
        job = self.job_record(spec, request, result,
                              {"prepare": loaded - started, "generate": done - loaded})
        if record and self.history is not None:
            job = self.history.record(job)
        return job

    def job_record(self, spec: EngineSpec, request: QrRequest, result: PosterResult,
                   timings: dict[str, float]) -> JobRecord:
        notes = [Note(f"scan: {result.scan.summary()}", "explanation")]
        if result.repair is not None:
            r = result.repair
            notes.append(Note(f"repair: conditioning {r.conditioning:g}, {r.retries} retries, "
                              f"{r.rounds} correction rounds, {r.changed_modules} modules, mean "
                              f"change {r.mean_change:.2f}/255", "explanation"))
        notes += [Note.of(n) for n in result.notes]
        output = Output(result.media, width=result.width, height=result.height,
                        seed=request.seed, data=result.data, bytes=len(result.data),
                        display=result.preview,
                        notes=(Note(json.dumps({"scan": result.scan.to_dict(), "repair":
                                                result.repair.to_dict() if result.repair
                                                else None}), "explanation"),))
        return JobRecord(
            kind=spec.kind, engine=spec.name, engine_version=spec.version,
            request=json.loads(json.dumps(request.to_dict())), request_version=request.version,
            status="finished", outputs=(output,), notes=tuple(notes), timings=timings,
            models=tuple(ModelUse(role, model, revision_of(model))
                         for role, model in result.models),
            app_version=self.app_version, device=result.device)

    def _failed(self, spec: EngineSpec, request: QrRequest, problem: str,
                seconds: float) -> JobRecord:
        return JobRecord(
            kind=spec.kind, engine=spec.name, engine_version=spec.version,
            request=json.loads(json.dumps(request.to_dict())), request_version=request.version,
            status="failed", problem=problem, timings={"generate": seconds},
            app_version=self.app_version)

    def cover_path(self, entry: int) -> str:
        """The image file of history entry ``entry`` (a cover to put on a poster)."""
        if self.history is None:
            raise InputError("The history is not open, so entry "
                             f"{entry} cannot be used; give the picture with --image.")
        job = self.history.get(entry)
        for output in job.outputs if job is not None else ():
            if output.media.startswith("image/") and output.path:
                return output.path
        raise InputError(f"There is no picture in history entry {entry}; see `albumstudio "
                         "history list` for the entries.")



def check_poster_output(path: str, fmt: str, overwrite: bool = False) -> Path:
    """InputError when ``path`` cannot take a poster of format ``fmt``."""
    target = Path(path)
    name = display_name(str(target))
    if fmt not in POSTER_FORMATS:
        raise InputError(f"Posters are saved as PNG or PDF, not '{fmt}'.")
    if target.suffix.lower() != f".{fmt}":
        raise InputError(f"'{name}' needs a .{fmt} name for a {fmt.upper()} poster; rename it "
                         "or choose the other --format.")
    check_place(target, f"poster.{fmt}", overwrite)
    return target


def save_poster(data: bytes, path: str, fmt: str, overwrite: bool = False) -> str:
    """Write the poster atomically; an existing file is replaced only with ``overwrite``."""
    target = check_poster_output(path, fmt, overwrite)
    write_users_file(target, data, overwrite)
    return os.fspath(target)


def output_bytes(output: Output) -> bytes:
    if output.data is not None:
        return output.data
    return Path(output.path).read_bytes()


def new_request(registry: EngineRegistry, engine: str, payload: str, **fields: Any) -> QrRequest:
    """A request for poster engine ``engine`` with its default options and ``fields``."""
    spec = registry.get(engine)
    options = fields.pop("options", None) or spec.options_type()
    return replace(QrRequest(engine=engine, payload=payload, options=options), **fields)
