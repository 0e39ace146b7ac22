"""Making a write durable and private on disk: the helpers every file-writing part shares."""

from __future__ import annotations

import os
from pathlib import Path


def fsync_path(path: Path) -> Path:
    """Flush a file's data, or a directory's entries, to disk; returns ``path``."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
    return path


def fsync_directory(directory: Path) -> None:
    """Make a new or renamed file in ``directory`` durable (the rename lives in the directory)."""
    fsync_path(directory)


#: Files Ringwatch writes (store tables, audit log, keys, rings, reports, enforcement actions)
#: are its owner's alone: 0600 files, 0700 directories.
PRIVATE_FILE_MODE = 0o600
PRIVATE_UMASK = 0o077


def keep_files_private() -> None:
    """Make every file and directory this process creates from now on its owner's only.

    Why a umask and not a mode per file: the store's Parquet tables are
    written by pyarrow and the reports by other libraries, which create files
    with the process's umask; the key file was already 0600 while the audit
    log, the tables and the outputs came out world-readable. The command line
    (every ``ringwatch`` process, ``serve`` included) calls this first.
    """
    os.umask(PRIVATE_UMASK)
