"""Error pages without Jupyter's page templates, and no ``/logout`` (there is no login).

Jupyter's handlers render an error as the template ``<status>.html``, else ``error.html``;
both extend Jupyter's ``page.html``, which needs Tornado's ``static_path`` setting the server
does not have: every error (a refused kernel websocket's 429 included) logged a
``TemplateNotFound`` and an "Uncaught exception in write_error" traceback, and the client got an
empty answer. :func:`serve_error_pages` gives those names one small template of ours
(``templates/serve/error.html.j2``). ``/logout`` rendered ``logout.html`` (the same failure,
a 500): :func:`not_found_routes` answers it 404 before Voila's route.
"""

from __future__ import annotations

import re

from jinja2 import BaseLoader, ChoiceLoader, TemplateNotFound
from tornado import web

from mdvax.templates import TEMPLATES

#: Template names Jupyter's ``write_error`` asks for.
ERROR_TEMPLATE_NAME = re.compile(r"(?:\d{3}|error)\.html")
#: The one error page.
ERROR_TEMPLATE = TEMPLATES / "serve" / "error.html.j2"
#: Paths of Jupyter's login machinery that make no sense without a login (404).
NOT_FOUND = ("logout",)


class ErrorPageLoader(BaseLoader):
    """Loads :data:`ERROR_TEMPLATE` under any name Jupyter's ``write_error`` asks for."""

    def get_source(self, environment, template):
        if not ERROR_TEMPLATE_NAME.fullmatch(template):
            raise TemplateNotFound(template)
        mtime = ERROR_TEMPLATE.stat().st_mtime
        source = ERROR_TEMPLATE.read_text(encoding="utf-8")
        return source, str(ERROR_TEMPLATE), lambda: ERROR_TEMPLATE.stat().st_mtime == mtime


def serve_error_pages(settings: dict) -> None:
    """Put :class:`ErrorPageLoader` first in the Jinja environments of Tornado ``settings``."""
    for key in ("jinja2_env", "voila_jinja2_env"):
        env = settings.get(key)
        if env is None or (isinstance(env.loader, ChoiceLoader) and _ours(env.loader)):
            continue
        env.loader = ChoiceLoader([ErrorPageLoader(), env.loader])


def _ours(loader: ChoiceLoader) -> bool:
    return any(isinstance(each, ErrorPageLoader) for each in loader.loaders)


class NotFoundHandler(web.RequestHandler):
    """404 for any method, with no body beyond the status line's text."""

    SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS")

    def prepare(self):
        raise web.HTTPError(404)


def not_found_routes(base_url: str) -> list[tuple[str, type]]:
    """Routes answering 404 for :data:`NOT_FOUND` under ``base_url`` (put them first)."""
    return [(f"{base_url.rstrip('/')}/{re.escape(name)}/?", NotFoundHandler) for name in NOT_FOUND]
