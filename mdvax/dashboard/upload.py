"""The empty state: nothing cached yet. Fetch the data, or let the visitor upload a CSV.

First an update from the configured source runs in a background thread with a visible
"fetching" indicator. If it fails (the source is unreachable, say), the page says so and offers a
file upload. An uploaded CSV is validated exactly like ``mdvax update --from``
(:func:`mdvax.pipeline.load_uploaded`), is capped in size, and lives only in this visitor's
session: nothing is written to the shared cache.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from html import escape

import ipywidgets as widgets

from mdvax.config import MAX_UPLOAD_BYTES  # also sizes mdvax serve's websocket messages
from mdvax.dashboard.model import DashboardData, Provenance
from mdvax.errors import MdvaxError, visitor_message

log = logging.getLogger(__name__)

#: Seconds to wait for an update another process is running before giving up.
UPDATE_WAIT_S = 120


def _message(kind: str, text: str) -> str:
    return f'<div class="mdvax-empty-{kind}">{text}</div>'


def read_upload(content: bytes, filename: str) -> DashboardData:
    """Validate an uploaded CSV like ``mdvax update --from`` and wrap it for the dashboard.

    Raises
    ------
    MdvaxError
        Too large, not a CSV, or not the vaccination table (the message says which).
    """
    from mdvax.pipeline import load_uploaded

    if len(content) > MAX_UPLOAD_BYTES:
        raise MdvaxError(
            f"the file is {len(content) / 2**20:.1f} MB; the limit is "
            f"{MAX_UPLOAD_BYTES // 2**20} MB (the real table is well under 1 MB)"
        )
    normalized = load_uploaded(bytes(content), filename)
    table = normalized.table
    provenance = Provenance(
        source=f"your uploaded file {filename[:80]}",
        url="",
        last_date=table["date"].max().date(),
        fetched_at=None,
    )
    return DashboardData.from_table(table, provenance)


class EmptyState:
    """Widgets shown while there is no data, and the logic that gets some.

    Parameters
    ----------
    on_data : callable
        Called with a :class:`DashboardData` once an update or an upload succeeds.
    fetch : bool
        Try an update from the source first (otherwise go straight to the upload).
    settings : Settings, optional
        Configuration for the update (default: the environment's).
    """

    def __init__(
        self, on_data: Callable[[DashboardData], None], fetch: bool = True, settings=None
    ) -> None:
        self._on_data = on_data
        self._settings = settings
        self._fetch = fetch
        self.status = widgets.HTML()
        self.upload = widgets.FileUpload(
            accept=".csv,text/csv",
            multiple=False,
            description="Upload CSV",
            layout=widgets.Layout(display="none", width="auto"),
        )
        self.upload.observe(self._uploaded, names="value")
        self.widget = widgets.VBox([self.status, self.upload])
        self.widget.add_class("mdvax-empty")
        self.thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin: fetch in the background, or offer the upload at once."""
        if not self._fetch:
            self._offer_upload("No data is cached on this server.")
            return
        self.status.value = _message(
            "progress",
            '<span class="mdvax-spinner"></span> No data is cached yet: fetching Maryland\'s '
            "vaccination table from the source. This can take a minute…",
        )
        self.thread = threading.Thread(target=self._update, name="mdvax-update", daemon=True)
        self.thread.start()

    def _update(self) -> None:
        from mdvax.pipeline import update

        try:
            update(settings=self._settings)
            data = DashboardData.load(self._settings)
        except MdvaxError as error:
            data = self._after_other_update()
            if data is None:
                # The error's text names the server's URLs and files: the log keeps it.
                log.exception("update from the dashboard failed")
                self._offer_upload(f"The data could not be fetched. {visitor_message(error)}")
                return
        except Exception as error:  # never a traceback for a visitor
            log.exception("update from the dashboard failed")
            self._offer_upload(f"The data could not be fetched. {visitor_message(error)}")
            return
        self._on_data(data)

    def _after_other_update(self) -> DashboardData | None:
        """The data another visitor's (or ``mdvax update``'s) concurrent update stored, if any."""
        from mdvax.cache import Cache
        from mdvax.config import get_settings

        try:
            with Cache(self._settings or get_settings()).lock(timeout=UPDATE_WAIT_S):
                pass  # the other update has ended
            return DashboardData.load(self._settings)
        except MdvaxError:
            return None

    def _offer_upload(self, reason: str) -> None:
        self.status.value = _message(
            "failed",
            f"<p><b>{escape(reason[:500])}</b></p>"
            "<p>You can still explore the data: download the CSV “MD COVID-19 Total "
            "Vaccinations County First and Second Single Dose” from Maryland’s open-data portal "
            f"and upload it here (up to {MAX_UPLOAD_BYTES // 2**20} MB). It stays in your "
            "browser session only.</p>",
        )
        self.upload.layout.display = None

    def _uploaded(self, change: dict) -> None:
        files = change["new"]
        if not files:
            return
        item = files[0]
        name = str(item.get("name", "upload.csv"))
        try:
            if int(item.get("size", 0)) > MAX_UPLOAD_BYTES:
                raise MdvaxError(f"the file is larger than {MAX_UPLOAD_BYTES // 2**20} MB")
            data = read_upload(item["content"], name)
        except MdvaxError as error:  # about the visitor's own file (no server file is read)
            self._offer_upload(f"{name[:80]} was not loaded: {error}")
            return
        except Exception as error:
            log.exception("upload failed")
            self._offer_upload(f"{name[:80]} was not loaded. {visitor_message(error)}")
            return
        finally:
            self.upload.value = ()
        self._on_data(data)
