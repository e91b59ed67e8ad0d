"""The finding catalog is the one list of codes: the README names exactly its codes, and every
code has a severity, an action for the office and a Chinese explanation."""

from __future__ import annotations

import re
from pathlib import Path

from rules.findings import CATALOG, CODES, SEVERITY_ORDER

README = Path(__file__).resolve().parent.parent / "README.md"


def _readme_codes() -> set[str]:
    text = README.read_text(encoding="utf-8")
    start = text.index("Finding codes (stable):")
    paragraph = text[start : text.index(". Each code", start)]
    return set(re.findall(r"`([A-Z][A-Z_]+)`", paragraph))


def test_readme_lists_exactly_the_catalog() -> None:
    assert _readme_codes() == set(CATALOG)


def test_every_code_is_complete() -> None:
    cjk = re.compile(r"[\u4e00-\u9fff]")
    for code, kind in CATALOG.items():
        assert kind.code == code
        assert kind.severity in SEVERITY_ORDER
        assert cjk.search(kind.action) and cjk.search(kind.explanation), code
    assert CODES == {code: kind.severity for code, kind in CATALOG.items()}
