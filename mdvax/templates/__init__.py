"""HTML from Jinja2 templates with autoescape: data-derived text is escaped by construction.

Templates live beside this module (``dashboard/*.html.j2``, ``report/*.html.j2``). The
environment is made once per process and compiles each template once, so a dashboard render
costs a template call, not a parse. The formatting functions of :mod:`mdvax.format` are
available as filters (``{{ value | count }}``).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, Template
from markupsafe import Markup

from mdvax import format as fmt

#: Folder of the templates (package data).
TEMPLATES = Path(__file__).resolve().parent

__all__ = ["TEMPLATES", "Markup", "environment", "render", "template"]


@cache
def environment() -> Environment:
    """The one Jinja environment: autoescape on, undefined names are errors, filters."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        auto_reload=False,
    )
    env.filters.update(
        count=fmt.count,
        change=fmt.change,
        percent=fmt.percent,
        share=fmt.share,
        day=fmt.day,
        iso=fmt.iso,
    )
    return env


@cache
def template(name: str) -> Template:
    """The compiled template ``name`` (e.g. ``"dashboard/panel.html.j2"``)."""
    return environment().get_template(name)


def render(name: str, /, **context: object) -> str:
    """Render template ``name`` with ``context``; text is escaped unless marked :class:`Markup`."""
    return template(name).render(**context)
