"""The after-action report as a PDF, drawn on the server by WeasyPrint, offline."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders

STYLESHEETS = ("review/review.css", "css/sizes.css")


def inline_css() -> str:
    """The report's stylesheets, inlined into the PDF's page (WeasyPrint fetches nothing)."""
    found = [finders.find(name) for name in STYLESHEETS]
    return "\n".join(Path(p).read_text(encoding="utf-8") for p in found if isinstance(p, str))


def html_to_pdf(html: str, base_url: str) -> bytes:
    """Draw the report's HTML and SVG charts to PDF with WeasyPrint: no browser, no JavaScript,
    no network (the page is self-contained; any other URL in user-written text is refused)."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    class OfflineFetcher(URLFetcher):
        def fetch(self, url: str, headers: Any = None) -> Any:
            if url.startswith("data:"):
                return super().fetch(url, headers)
            raise ValueError(f"the report may not fetch {url[:80]}")

    pdf: bytes = HTML(string=html, base_url=base_url, url_fetcher=OfflineFetcher()).write_pdf()
    return pdf
