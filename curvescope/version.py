"""The version of curvescope, in one place, and the identity of the code that runs."""

import functools
import hashlib
from pathlib import Path

__version__ = "0.1.0.dev0"


@functools.cache
def code_identity() -> str:
    """What a cached read or report was made by: the version, and for a development version also
    a digest of the package's code, which changes between releases without the version."""
    if "dev" not in __version__:
        return __version__
    return f"{__version__}+{source_digest(Path(__file__).parent)}"


def source_digest(root: Path) -> str:
    """A short digest of the names and contents of every Python file below ``root``."""
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]
