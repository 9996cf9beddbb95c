# ruff: noqa: E501 - the XML of real document files reads best unwrapped
"""Real document files for tests, made on the fly: PDF (by WeasyPrint), DOCX, ODT, and bad ones.

Each builder returns bytes that the real programs open: a DOCX with the parts Word needs, an
ODT with its stored ``mimetype`` first, a PDF laid out by WeasyPrint.
"""

from __future__ import annotations

import io
import zipfile
from html import escape


def make_pdf(text: str = "Léa Martin – Curriculum vitae") -> bytes:
    from weasyprint import HTML

    return HTML(string=f"<html lang='fr'><body><h1>{escape(text)}</h1>"
                       f"<p>Expérience : animation de conseils citoyens.</p></body></html>"
                ).write_pdf()


def make_encrypted_pdf(password: str = "secret") -> bytes:
    """A PDF that cannot be read without a password."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt(user_password=password, owner_password=password + "-owner")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def make_docx(text: str = "Lettre de motivation de Léa Martin") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            '<Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
            '</Types>'))
        z.writestr("_rels/.rels", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
            '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/>'
            '</Relationships>'))
        z.writestr("word/document.xml", (
            '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
            '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
            f'<w:body><w:p><w:r><w:t>{escape(text)}</w:t></w:r></w:p></w:body></w:document>'))
    return out.getvalue()


def make_odt(text: str = "Lettre de motivation de Léa Martin") -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        # The ODF rule: "mimetype" first, stored uncompressed.
        z.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.text",
                   compress_type=zipfile.ZIP_STORED)
        z.writestr("META-INF/manifest.xml", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
            '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.text"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            '</manifest:manifest>'), compress_type=zipfile.ZIP_DEFLATED)
        z.writestr("content.xml", (
            '<?xml version="1.0" encoding="UTF-8"?>'
            '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
            'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
            f'<office:body><office:text><text:p>{escape(text)}</text:p></office:text></office:body>'
            '</office:document-content>'), compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


# A Windows executable's first bytes ("MZ" header and DOS stub), as if renamed cv.pdf.
EXECUTABLE = (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44
              + b"\x80\x00\x00\x00This program cannot be run in DOS mode.\r\r\n$" + b"\x00" * 200)
# Starts like a PDF, then nothing a reader can use.
CORRUPT_PDF = b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <</Type /Catalog /Pages 2 0 R" + b"\x00" * 64
