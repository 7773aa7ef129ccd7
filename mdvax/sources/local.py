"""A file the user names: a local path or any URL (``mdvax update --from PATH_OR_URL``)."""

from __future__ import annotations

from pathlib import Path

from mdvax.config import Settings
from mdvax.errors import SourceError
from mdvax.sources.base import RawSnapshot, sniff
from mdvax.sources.http import download, make_session


class FileSource:
    """Read a CSV (or a saved API JSON document) from a path or URL.

    Parameters
    ----------
    location : str
        A filesystem path, or an ``http(s)://`` URL.
    settings : Settings
        Size cap and HTTP settings.
    """

    name = "file"

    def __init__(self, location: str, settings: Settings) -> None:
        self.location = location
        self.settings = settings
        self.is_url = location.lower().startswith(("http://", "https://"))
        self.url = location if self.is_url else str(Path(location).expanduser().resolve())

    def fetch(self, progress: bool = False, **_validators: object) -> RawSnapshot:
        """Read the whole file."""
        if self.is_url:
            body = download(make_session(self.settings), self.url, self.settings,
                            progress=progress, what=self.url).body  # fmt: skip
        else:
            body = self._read_path(Path(self.url))
        return RawSnapshot(body, self.name, self.url, sniff(body, "csv", self.location))

    def _read_path(self, path: Path) -> bytes:
        if not path.is_file():
            raise SourceError(f"no such file: {path}")
        if path.stat().st_size > self.settings.max_download_bytes:
            raise SourceError(
                f"{path} is larger than the {self.settings.max_download_bytes:,} byte cap"
            )
        if path.suffix == ".gz":
            import gzip

            return gzip.decompress(path.read_bytes())
        return path.read_bytes()


def from_upload(content: bytes, filename: str) -> RawSnapshot:
    """A file a dashboard visitor uploaded (untrusted: checked like any source; never cached)."""
    kind = sniff(content, "csv", f"uploaded file {filename[:80]!r}")
    return RawSnapshot(content, "upload", filename[:200], kind)
