"""Run a real ``mdvax update`` that freezes mid-way through its archive transaction.

Usage: ``python -m tests.support.archive_crash "SQL PREFIX"`` (environment as for ``mdvax``).
Right after the first statement starting with the prefix has run, inside the archive's
uncommitted transaction, it prints ``PAUSED`` and sleeps, waiting for the test's SIGKILL.
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import Engine, event

from mdvax.pipeline import update


def main(prefix: str) -> None:
    """Install the pause, then update from the CSV endpoint."""

    def pause(conn, cursor, statement, parameters, context, executemany) -> None:
        if statement.lstrip().upper().startswith(prefix.upper()) and conn.in_transaction():
            print("PAUSED", flush=True)
            time.sleep(600)

    event.listen(Engine, "after_cursor_execute", pause)
    update(source="maryland-csv")
    print("FINISHED", flush=True)


if __name__ == "__main__":
    main(sys.argv[1])
