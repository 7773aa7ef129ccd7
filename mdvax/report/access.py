"""Keyboard stops of the exported report: only what can scroll, named after its section.

nbconvert's HTML exporter gives every cell input and output ``tabindex="0"`` so a scrolling
output can be scrolled from the keyboard. In a report that is a dozen unnamed stops on plain
text. :func:`tidy_focus` keeps a stop only on outputs holding a table (the ones that scroll
sideways on a narrow screen, WCAG 2.1.1 and 1.4.10) and makes each a region named by its
section's heading, so a screen reader says where the focus is.
"""

from __future__ import annotations

from bs4 import BeautifulSoup

#: Outputs that keep their keyboard stop: those that can be wider than the screen.
SCROLLING = "table"


def tidy_focus(html: str) -> str:
    """``html`` with keyboard stops only on table outputs, each a region named by its heading.

    Parameters
    ----------
    html : str
        A page exported by nbconvert's HTML exporter.

    Returns
    -------
    str
        The page, other elements untouched.
    """
    soup = BeautifulSoup(html, features="html.parser")
    heading = None
    for element in soup.find_all(["h1", "h2", "h3", "div"]):
        if element.name != "div":
            heading = element
            continue
        if element.get("tabindex") != "0":
            continue
        if element.find(SCROLLING) is None:
            del element["tabindex"]
        elif heading is not None and heading.get("id"):
            element["role"] = "region"
            element["aria-labelledby"] = heading["id"]
    return str(soup)
