"""Files in the data directory that hold secrets (login, keys)."""
from __future__ import annotations

import json
import os
from pathlib import Path


def write_private_json(path: Path, data: object) -> None:
    """Write `data` as JSON readable only by Lotse's user (0600), atomically: a crash leaves
    the old file or the new one, never half of it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        json.dump(data, fh)
        fh.flush()
        os.fsync(fh.fileno())
    os.replace(tmp, path)
