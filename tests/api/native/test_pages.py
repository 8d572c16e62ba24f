"""``/``, ``/docs`` and ``/redoc`` work without internet: every asset they reference is served by Herald."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

REFERENCE = re.compile(r"""(?:src|href)\s*=\s*["']([^"']+)["']|url:\s*['"]([^'"]+)['"]""")


def test_the_home_page_names_herald_and_links_the_docs(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    for link in ('href="/docs"', 'href="/redoc"', 'href="/healthz"', 'href="/openapi.json"'):
        assert link in page.text
    assert "Herald" in page.text


@pytest.mark.parametrize("page", ["/docs", "/redoc", "/"])
def test_every_asset_a_page_references_is_served_by_herald(client: TestClient, page: str) -> None:
    html = client.get(page).text
    references = {first or second for first, second in REFERENCE.findall(html)}
    assert references, html
    for reference in references:
        assert not re.match(r"^(https?:)?//", reference), f"{page} loads {reference} from elsewhere"
        fetched = client.get(reference)
        assert fetched.status_code == 200, (page, reference)
    assert "fonts.googleapis" not in html
    assert "cdn." not in html
