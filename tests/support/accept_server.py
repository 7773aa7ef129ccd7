"""A bare Tornado HTTP server accepting through mdvax's guarded accept loop, for the tests.

``python -m tests.support.accept_server CAP`` prints its port, then serves ``GET /`` with
``ok``; its log lines (JSON) go to stderr. Started under a low open-file limit, it shows what
``accept()`` failing with ``EMFILE`` does to the loop and the log, without a whole Voila server.
"""

from __future__ import annotations

import logging
import sys

import tornado.web
from tornado.ioloop import IOLoop, PeriodicCallback
from tornado.netutil import bind_sockets

from mdvax.serve import connections, logs

#: Seconds between two log lines about refusals or accept failures (short, for the tests).
INTERVAL_S = 1.0


class Ok(tornado.web.RequestHandler):
    def get(self):
        self.finish("ok")


async def main(cap: int) -> None:
    guard = connections.ConnectionGuard(cap, interval=INTERVAL_S)
    server = connections.GuardedHTTPServer(tornado.web.Application([("/", Ok)]), guard=guard)
    sockets = bind_sockets(0, "127.0.0.1")
    server.add_sockets(sockets)
    PeriodicCallback(guard.report, INTERVAL_S * 1000).start()
    print(sockets[0].getsockname()[1], flush=True)


if __name__ == "__main__":
    logs.configure(logging.getLogger("accept_server"))
    IOLoop.current().run_sync(lambda: main(int(sys.argv[1])))
    IOLoop.current().start()
