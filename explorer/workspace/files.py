"""Local files written atomically: the one routine.

``atomic_file(path)`` yields a text file that is a temporary file beside
``path``; when the block ends without an error the data is flushed to disk
(``fsync``) and the file replaces ``path`` in one rename, so a reader sees the
old file or the new one, never half of one. On an error the temporary file is
removed and ``path`` is untouched.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO


@contextlib.contextmanager
def atomic_file(path: str | os.PathLike[str]) -> Iterator[IO[str]]:
    """A UTF-8 text file (``\\n`` line ends) that becomes ``path`` on success."""
    target = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, target)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
