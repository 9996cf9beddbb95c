"""Reading the PDFs we make: real bytes, text extracted by poppler's pdftotext or pypdf."""

from __future__ import annotations

import io
import re
import shutil
import subprocess

from pypdf import PdfReader

_SPACES = re.compile(r"[\s\u00a0\u202f]+")
# Automatic hyphenation (hyphens: auto) splits words at line ends ("ponc-" / "tuellement"):
# squashed comparisons ignore spaces and hyphens on both sides.
_SQUASH = re.compile(r"[\s\u00a0\u202f\u00ad\u2010-]+")


def normalise(text: str) -> str:
    """Whitespace (including no-break spaces U+00A0 and U+202F) collapsed to one space."""
    return _SPACES.sub(" ", text).strip()


def squash(text: str) -> str:
    return _SQUASH.sub("", text)


def pdf_text(data: bytes) -> str:
    """The text of the whole document, normalised."""
    assert data.startswith(b"%PDF-"), data[:20]
    if shutil.which("pdftotext"):
        result = subprocess.run(
            ["pdftotext", "-enc", "UTF-8", "-", "-"], input=data, capture_output=True,
            check=True,
        )
        return normalise(result.stdout.decode("utf-8"))
    return normalise(" ".join(page_texts(data)))


def page_texts(data: bytes) -> list[str]:
    """The text of each page, normalised (pypdf)."""
    reader = PdfReader(io.BytesIO(data))
    return [normalise(page.extract_text() or "") for page in reader.pages]


def page_count(data: bytes) -> int:
    return len(PdfReader(io.BytesIO(data)).pages)


def first_page_images(data: bytes) -> int:
    """Images drawn on the first page (WeasyPrint shares one resource dictionary between
    pages, so counting per page over the document would count the same logo twice)."""
    return len(PdfReader(io.BytesIO(data)).pages[0].images)


def contains(text: str, value: str) -> bool:
    """``value`` is in ``text``, ignoring line breaks and automatic hyphenation."""
    return normalise(value) in text or squash(value) in squash(text)
