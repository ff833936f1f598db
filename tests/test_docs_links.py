"""The README and the pages under docs/ link to each other: every relative link must land.

A newcomer follows these links first; a page renamed or a heading reworded must not leave
one pointing nowhere. Anchors are checked with GitHub's heading slugs.
"""

import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LINK = re.compile(r"\[[^\]]*\]\(([^)\s]+)\)")
README_MAX_BYTES = 15 * 1024  # the deep topics live in docs/, the README stays a first read


def _slug(heading: str) -> str:
    text = heading.strip().lower().replace("`", "")
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def _anchors(page: Path) -> set[str]:
    anchors, fenced = set(), False
    for line in page.read_text().splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif not fenced and (match := re.match(r"^#{1,6} (.+)$", line)):
            anchors.add(_slug(match.group(1)))
    return anchors


def _links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(), flags=re.S)
    return [target for target in LINK.findall(text) if not re.match(r"^[a-z]+:", target)]


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(ROOT)))
def test_every_relative_link_lands(page):
    broken = []
    for target in _links(page):
        path, _, anchor = target.partition("#")
        goal = (page.parent / path).resolve() if path else page
        if not goal.exists():
            broken.append(f"{target}: no such file")
        elif anchor and goal.suffix == ".md" and anchor not in _anchors(goal):
            broken.append(f"{target}: no heading with that anchor")
    assert not broken, broken


def test_every_docs_page_is_linked_from_the_readme():
    linked = {(ROOT / target.partition("#")[0]).resolve() for target in _links(ROOT / "README.md")}
    assert [page for page in PAGES[1:] if page not in linked] == []


def test_the_readme_stays_short():
    assert len((ROOT / "README.md").read_bytes()) <= README_MAX_BYTES


def test_the_architecture_diagram_shows_every_command_bus_middleware_in_order():
    from django.conf import settings

    text = (ROOT / "docs" / "architecture.md").read_text()
    start = text.index("CommandBus.dispatch") + len("CommandBus.dispatch")
    drawn = [name.strip() for name in text[start : text.index("(COMMAND_BUS_MIDDLEWARE)")].split("▸")]
    assert drawn.pop() == "handler"  # the chain ends at the command's handler
    configured = [path.rpartition(".")[2].removesuffix("Middleware") for path in settings.COMMAND_BUS_MIDDLEWARE]
    assert drawn == configured
