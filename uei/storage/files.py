"""Owner-only files on disk: the data directory, the SQLite files, the operators list.

Modes are set explicitly, never left to the umask: a directory the service makes is 0700, a
file 0600. An existing one that group or others may use loses those bits, and the log says so
(the owner's own bits are left as they are). SQLite creates ``-wal`` and ``-shm`` with the
mode of the database file, so a database made here keeps them owner-only too.
"""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "private_data_dir", "private_file", "write_private"]

log = logging.getLogger("uei.files")

DIR_MODE = 0o700
FILE_MODE = 0o600
_OTHERS = 0o077


def _tighten(path: Path) -> None:
    """Take group and others' access away from an existing ``path`` (not following links)."""
    current = stat.S_IMODE(path.lstat().st_mode)
    if current & _OTHERS:
        os.chmod(path, current & ~_OTHERS)
        log.warning(
            "%s was open to group or others (mode %03o); now %03o",
            path,
            current,
            current & ~_OTHERS,
        )


def private_data_dir(path: Path) -> None:
    """If ``path`` exists: make it and every file directly in it owner-only. Links are not
    followed. (Whoever first writes into a missing data directory creates it 0700.)"""
    if not path.is_dir() or path.is_symlink():
        return
    _tighten(path)
    for entry in path.iterdir():
        if entry.is_file() and not entry.is_symlink():
            _tighten(entry)


def private_file(path: Path, *, create: bool = True) -> None:
    """Make ``path`` owner-only: created empty with mode 0600 when missing (``create``), else
    tightened. For a SQLite file, call it before SQLite opens the file."""
    if not create:
        if path.exists():
            _tighten(path)
        return
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        _tighten(path)
        return
    try:
        os.fchmod(fd, FILE_MODE)
    finally:
        os.close(fd)


def write_private(path: Path, text: str) -> None:
    """Write ``text`` to ``path``, which is left with mode 0600 (its directory, if missing,
    made 0700)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, FILE_MODE)
    with os.fdopen(fd, "w") as out:
        os.fchmod(fd, FILE_MODE)
        out.write(text)
