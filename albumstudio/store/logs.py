"""The log file: unexpected errors write their traceback to ``logs/albumstudio.log`` in the data
folder (rotated at 1 MB, three old files kept), so a person can be told where it is."""

from __future__ import annotations

import logging
import logging.handlers
from pathlib import Path

LOG_NAME = "albumstudio.log"
_handler: logging.handlers.RotatingFileHandler | None = None


def start_log(folder: str | Path) -> Path | None:
    """Send AlbumStudio's warnings and errors to the rotating log file in ``folder``; returns its
    path (None when the folder cannot be written; then nothing is logged to a file)."""
    global _handler
    path = Path(folder) / LOG_NAME
    if _handler is not None and Path(_handler.baseFilename) == path.resolve():
        return path
    stop_log()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = _QuietFileHandler(path, maxBytes=1_000_000, backupCount=3, encoding="utf-8",
                                    delay=True)
    except OSError:
        _no_terminal_fallback()
        return None
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logger = logging.getLogger("albumstudio")
    logger.addHandler(handler)
    if logger.level == logging.NOTSET or logger.level > logging.WARNING:
        logger.setLevel(logging.WARNING)
    _handler = handler
    return path


class _QuietFileHandler(logging.handlers.RotatingFileHandler):
    """A log file that, when it cannot be written (a full disk), drops the record instead of
    printing "--- Logging error ---" and a traceback on the person's terminal."""

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802
        pass


def _no_terminal_fallback() -> None:
    """With no log file, records go nowhere rather than to Python's last-resort handler, which
    would print a traceback on the terminal."""
    logger = logging.getLogger("albumstudio")
    if not any(isinstance(h, logging.NullHandler) for h in logger.handlers):
        logger.addHandler(logging.NullHandler())


def stop_log() -> None:
    global _handler
    if _handler is not None:
        logging.getLogger("albumstudio").removeHandler(_handler)
        _handler.close()
        _handler = None


def log_path() -> str:
    """Where unexpected errors are written now ("" when no log file is open)."""
    return _handler.baseFilename if _handler is not None else ""


def log_unexpected(doing: str, exc: BaseException) -> str:
    """Write ``exc``'s traceback to the log; the log's path ("" when there is none)."""
    logging.getLogger("albumstudio").error("unexpected error while %s", doing,
                                           exc_info=(type(exc), exc, exc.__traceback__))
    return log_path()
