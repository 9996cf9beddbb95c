"""Candidates' documents are recognised by their content, read before being accepted, and
refused with a message that names the file and says what to do."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
import zipfile

import pytest
from flask_babel import force_locale
from PIL import Image
from pypdf import PdfReader, PdfWriter

from config import Config
from tests.files import (
    CORRUPT_PDF,
    EXECUTABLE,
    make_docx,
    make_encrypted_pdf,
    make_odt,
    make_pdf,
)
from tracker.applications.documents import (
    DOCX,
    NAME_MAX_CHARS,
    ODT,
    PDF,
    DocumentError,
    check_upload,
    clean_filename,
    safe_filename,
)

MB = 1024 * 1024
LIMIT = 10 * MB


@pytest.fixture
def en(app):
    """Messages in English, as a candidate who chose English sees them."""
    with app.app_context(), force_locale("en"):
        yield


# --- Builders for files tests/files.py does not make -----------------------------------------


def rezip(data: bytes, *, replace=None, add=(), drop=(), stored=False) -> bytes:
    """A copy of a ZIP document with some entries replaced, added or dropped (order kept)."""
    replace = replace or {}
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename in drop:
                continue
            body = replace.get(info.filename, src.read(info))
            method = zipfile.ZIP_STORED if stored else info.compress_type
            dst.writestr(info.filename, body, compress_type=method)
        for name, body in add:
            dst.writestr(name, body, compress_type=zipfile.ZIP_DEFLATED)
    return out.getvalue()


def docx_content_types(main_type: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" '
        'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Default Extension="xml" ContentType="application/xml"/>'
        f'<Override PartName="/word/document.xml" ContentType="{main_type}"/>'
        '</Types>'
    ).encode()


def docm() -> bytes:
    return rezip(make_docx(), replace={"[Content_Types].xml": docx_content_types(
        "application/vnd.ms-word.document.macroEnabled.main+xml")})


def zeros_entries(data: bytes, size: int, count: int = 1) -> bytes:
    """``data`` (a ZIP) with ``count`` more entries of ``size`` zero bytes each, compressed."""
    out = io.BytesIO(data)
    chunk = bytes(min(size, MB))
    with zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as z:
        for number in range(count):
            with z.open(f"word/media/image{number}.png", "w", force_zip64=True) as entry:
                for _ in range(size // len(chunk)):
                    entry.write(chunk)
    return out.getvalue()


def pdf_with_empty_user_password(algorithm: str) -> bytes:
    """Encrypted, but opens without a password (only an owner password restricts it)."""
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.encrypt(user_password="", owner_password="owner-secret", algorithm=algorithm)
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def pdf_of_size(target: int) -> bytes:
    """A real PDF of a bit less than ``target`` bytes (a random attachment fills it)."""
    filler = target - 20_000
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(make_pdf())))
    writer.add_attachment("annexe.bin", os.urandom(filler))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def image(kind: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (12, 12), (200, 30, 60)).save(out, kind)
    return out.getvalue()


def stored_odt() -> bytes:
    """An ODT whose bytes never change: every entry stored, fixed dates."""
    source = zipfile.ZipFile(io.BytesIO(make_odt()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        for info in source.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(2024, 3, 1, 12, 0, 0))
            z.writestr(fixed, source.read(info), compress_type=zipfile.ZIP_STORED)
    return out.getvalue()


OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(504)
WORD_97 = OLE2 + "WordDocument".encode("utf-16-le") + bytes(400)
PROTECTED_DOCX = OLE2 + "EncryptedPackage".encode("utf-16-le") + bytes(400)
RTF = b"{\\rtf1\\ansi\\deff0 {\\fonttbl {\\f0 Times;}} CV de L\\'e9a Martin\\par}"
HTML = b"<!DOCTYPE html><html><body><h1>CV</h1><script>alert(1)</script></body></html>"
MANIFEST_ENCRYPTED = (
    b'<?xml version="1.0" encoding="UTF-8"?>'
    b'<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" '
    b'manifest:version="1.2">'
    b'<manifest:file-entry manifest:full-path="/" '
    b'manifest:media-type="application/vnd.oasis.opendocument.text"/>'
    b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
    b'<manifest:encryption-data manifest:checksum-type="SHA1/1K" manifest:checksum="AAAA">'
    b'<manifest:algorithm manifest:algorithm-name="Blowfish CFB" '
    b'manifest:initialisation-vector="AAAA"/>'
    b'</manifest:encryption-data></manifest:file-entry></manifest:manifest>'
)


# --- Accepted files --------------------------------------------------------------------------


@pytest.mark.parametrize(("name", "build", "media_type", "stored_name"), [
    ("CV Léa Martin.pdf", make_pdf, PDF, "CV Léa Martin.pdf"),
    ("Lettre de motivation.docx", make_docx, DOCX, "Lettre de motivation.docx"),
    ("Lettre de motivation.odt", make_odt, ODT, "Lettre de motivation.odt"),
])
def test_check_upload_real_documents_accepted(en, name, build, media_type, stored_name):
    content = build()
    checked = check_upload(name, content, max_bytes=LIMIT)
    assert checked.media_type == media_type
    assert checked.filename == stored_name
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.content == content


def test_check_upload_sha256_is_that_of_the_bytes(en):
    content = stored_odt()
    assert content == stored_odt()  # the same bytes every time
    checked = check_upload("lettre.odt", content, max_bytes=LIMIT)
    assert checked.media_type == ODT
    assert checked.size == len(content)
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert len(checked.sha256) == 64 and set(checked.sha256) <= set("0123456789abcdef")


@pytest.mark.parametrize("algorithm", ["RC4-128", "AES-128", "AES-256"])
def test_check_upload_pdf_encrypted_without_user_password_accepted(en, algorithm):
    content = pdf_with_empty_user_password(algorithm)
    assert PdfReader(io.BytesIO(content)).is_encrypted
    checked = check_upload("cv.pdf", content, max_bytes=LIMIT)
    assert checked.media_type == PDF
    assert checked.sha256 == hashlib.sha256(content).hexdigest()


@pytest.mark.parametrize(("name", "build", "media_type", "stored_name"), [
    ("cv.docx", make_pdf, PDF, "cv.pdf"),
    ("cv.pdf", make_docx, DOCX, "cv.docx"),
    ("Lettre.pdf", make_odt, ODT, "Lettre.odt"),
    ("CV Léa", make_pdf, PDF, "CV Léa.pdf"),
    ("CV v2.3", make_docx, DOCX, "CV v2.3.docx"),
    ("CV.PDF", make_pdf, PDF, "CV.PDF"),
    ("scan.jpeg", make_pdf, PDF, "scan.pdf"),
    ("lettre.doc", make_docx, DOCX, "lettre.docx"),
])
def test_check_upload_name_mismatch_content_decides(en, name, build, media_type, stored_name):
    checked = check_upload(name, build(), max_bytes=LIMIT)
    assert (checked.media_type, checked.filename) == (media_type, stored_name)


def test_check_upload_file_at_limit_accepted(en):
    content = make_pdf()
    assert check_upload("cv.pdf", content, max_bytes=len(content)).size == len(content)


def test_check_upload_large_docx_with_incompressible_entry_accepted(en):
    """The zip-bomb bounds leave room for real documents with photos."""
    content = rezip(make_docx(), add=[("word/media/image1.png", os.urandom(3 * MB))])
    assert check_upload("cv.docx", content, max_bytes=LIMIT).media_type == DOCX


def test_check_upload_ten_megabyte_pdf_read_lazily(en):
    """A 10 MB PDF is checked without copying or decoding what the check does not need."""
    content = pdf_of_size(LIMIT)
    assert LIMIT - 30_000 < len(content) <= LIMIT
    tracemalloc.start()
    try:
        checked = check_upload("cv.pdf", content, max_bytes=LIMIT)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert checked.media_type == PDF
    assert checked.sha256 == hashlib.sha256(content).hexdigest()
    assert checked.content is content  # not copied
    assert peak < MB  # the attachment (10 MB) was neither copied nor decompressed


# --- Refused files: each with its own message ------------------------------------------------

NOT_A_DOCUMENT = "The file “%s” is not a PDF, DOCX or ODT document."
DAMAGED = ("The file “%s” is damaged and cannot be opened. Save or export it again, then send "
           "the new file.")
PASSWORD = ("The file “%s” is protected by a password. Save a copy without a password and send "
            "that one.")
UNSAFE = ("The file “%s” unpacks to too much data to be checked safely. Save it as PDF and send "
          "it again.")
MACROS = ("The file “%s” is a Word document with macros, which we do not accept. Save it as DOCX "
          "(Word document) or PDF and send it again.")
OLD_WORD = ("The file “%s” is in the old Word format (.doc), which we cannot open safely. Save it "
            "as PDF, DOCX or ODT and send it again.")
OLD_RTF = ("The file “%s” is in RTF format, which we cannot open safely. Save it as PDF, DOCX or "
           "ODT and send it again.")


def _pdf_truncated():
    content = make_pdf()
    return content[: len(content) // 2]


def _docx_truncated():
    content = make_docx()
    return content[: len(content) - 40]


def _docx_bad_crc():
    content = rezip(make_docx(), stored=True)
    return content.replace(b"Lettre de motivation", b"Lettre de motivatiom", 1)


def _docx_not_well_formed():
    return rezip(make_docx(), replace={"word/document.xml": b"<w:document><w:body>"})


def _docx_with_doctype():
    return rezip(make_docx(), replace={"word/document.xml": (
        b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><document>&b;</document>')})


def _docx_without_main_part():
    return rezip(make_docx(), drop={"word/document.xml"})


def _xlsx():
    return rezip(make_docx(), replace={"[Content_Types].xml": docx_content_types(
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml")})


def _docx_with_vba_project():
    return rezip(make_docx(), add=[("word/vbaProject.bin", b"\x00" * 64)])


def _docx_encrypted_entry():
    """A DOCX whose main part has the ZIP "encrypted" flag set (zipfile cannot write one)."""
    content = bytearray(make_docx())
    with zipfile.ZipFile(io.BytesIO(bytes(content))) as z:
        info = z.getinfo("word/document.xml")
        central = z.start_dir
    content[info.header_offset + 6] |= 0x1  # local header: general purpose flags
    name = b"word/document.xml"
    entry = content.index(b"PK\x01\x02", central)
    while content[entry + 46: entry + 46 + len(name)] != name:
        entry = content.index(b"PK\x01\x02", entry + 4)
    content[entry + 8] |= 0x1  # central directory: the same flags
    assert zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo(name.decode()).flag_bits & 0x1
    return bytes(content)


def _odt_encrypted():
    return rezip(make_odt(), replace={"META-INF/manifest.xml": MANIFEST_ENCRYPTED})


def _ods():
    return rezip(make_odt(), replace={
        "mimetype": b"application/vnd.oasis.opendocument.spreadsheet"})


def _odt_without_content():
    return rezip(make_odt(), drop={"content.xml"})


def _plain_zip():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("CV.pdf", make_pdf())
    return out.getvalue()


def _bomb_total():
    # 110 entries of 1 MB: each under the ratio rule's floor, together over the total.
    return zeros_entries(make_docx(), MB, count=110)


def _bomb_ratio():
    return zeros_entries(make_docx(), 5 * MB)


def _bomb_entries():
    return rezip(make_docx(), add=[(f"word/media/{i}.xml", b"<a/>") for i in range(1001)])


REFUSALS = [
    # (test id, name given, content builder, code, expected English message)
    ("empty", "cv.pdf", lambda: b"", "empty", "The file “cv.pdf” is empty."),
    ("over-limit", "cv.pdf", lambda: b"%PDF-1.7\n" + bytes(LIMIT + 1 - 9), "too_large",
     "The file “cv.pdf” is too large (10.1 MB); the limit is 10 MB."),
    ("executable", "cv.pdf", lambda: EXECUTABLE, "not_a_document", NOT_A_DOCUMENT % "cv.pdf"),
    ("html", "cv.pdf", lambda: HTML, "not_a_document", NOT_A_DOCUMENT % "cv.pdf"),
    ("jpeg", "photo.jpg", lambda: image("JPEG"), "not_a_document", NOT_A_DOCUMENT % "photo.jpg"),
    ("png", "cv.png", lambda: image("PNG"), "not_a_document", NOT_A_DOCUMENT % "cv.png"),
    ("text", "cv.txt", lambda: "Léa Martin\n".encode(), "not_a_document",
     NOT_A_DOCUMENT % "cv.txt"),
    ("plain-zip", "cv.zip", _plain_zip, "not_a_document", NOT_A_DOCUMENT % "cv.zip"),
    ("xlsx", "cv.docx", _xlsx, "not_a_document", NOT_A_DOCUMENT % "cv.docx"),
    ("ods", "cv.odt", _ods, "not_a_document", NOT_A_DOCUMENT % "cv.odt"),
    ("other-ole2", "cv.xls", lambda: OLE2 + bytes(400), "not_a_document",
     NOT_A_DOCUMENT % "cv.xls"),
    ("corrupt-pdf", "cv.pdf", lambda: CORRUPT_PDF, "damaged", DAMAGED % "cv.pdf"),
    ("truncated-pdf", "cv.pdf", _pdf_truncated, "damaged", DAMAGED % "cv.pdf"),
    ("truncated-docx", "cv.docx", _docx_truncated, "damaged", DAMAGED % "cv.docx"),
    ("docx-bad-crc", "cv.docx", _docx_bad_crc, "damaged", DAMAGED % "cv.docx"),
    ("docx-broken-xml", "cv.docx", _docx_not_well_formed, "damaged", DAMAGED % "cv.docx"),
    ("docx-doctype", "cv.docx", _docx_with_doctype, "damaged", DAMAGED % "cv.docx"),
    ("docx-no-main", "cv.docx", _docx_without_main_part, "damaged", DAMAGED % "cv.docx"),
    ("odt-no-content", "cv.odt", _odt_without_content, "damaged", DAMAGED % "cv.odt"),
    ("pdf-password", "cv.pdf", make_encrypted_pdf, "password", PASSWORD % "cv.pdf"),
    ("docx-password", "cv.docx", lambda: PROTECTED_DOCX, "password", PASSWORD % "cv.docx"),
    ("zip-encrypted", "cv.docx", _docx_encrypted_entry, "password", PASSWORD % "cv.docx"),
    ("odt-password", "cv.odt", _odt_encrypted, "password", PASSWORD % "cv.odt"),
    ("docm", "cv.docm", docm, "macros", MACROS % "cv.docm"),
    ("vba-in-docx", "cv.docx", _docx_with_vba_project, "macros", MACROS % "cv.docx"),
    ("doc", "cv.doc", lambda: WORD_97, "old_format", OLD_WORD % "cv.doc"),
    ("rtf", "cv.rtf", lambda: RTF, "old_format", OLD_RTF % "cv.rtf"),
    ("zip-bomb-total", "cv.docx", _bomb_total, "unsafe_archive", UNSAFE % "cv.docx"),
    ("zip-bomb-ratio", "cv.docx", _bomb_ratio, "unsafe_archive", UNSAFE % "cv.docx"),
    ("zip-bomb-entries", "cv.docx", _bomb_entries, "unsafe_archive", UNSAFE % "cv.docx"),
    ("dangerous-name", "../x\r\nSet-Cookie: a.pdf", lambda: EXECUTABLE, "not_a_document",
     NOT_A_DOCUMENT % "x Set-Cookie a.pdf"),
]


@pytest.mark.parametrize(("name", "build", "code", "message"),
                         [case[1:] for case in REFUSALS], ids=[case[0] for case in REFUSALS])
def test_check_upload_bad_file_refused_with_its_message(en, name, build, code, message):
    with pytest.raises(DocumentError) as refused:
        check_upload(name, build(), max_bytes=LIMIT)
    assert refused.value.code == code
    assert str(refused.value) == message


QUICK_REFUSALS = [case for case in REFUSALS if not case[0].startswith("zip-bomb")]


@pytest.mark.parametrize(("name", "build"), [(case[1], case[2]) for case in QUICK_REFUSALS],
                         ids=[case[0] for case in QUICK_REFUSALS])
def test_check_upload_bad_file_message_in_french(app, name, build):
    with app.app_context(), force_locale("fr"), pytest.raises(DocumentError) as refused:
        check_upload(name, build(), max_bytes=LIMIT)
    message = str(refused.value)
    assert isinstance(message, str) and message.strip()


def test_check_upload_size_message_in_french_uses_french_numbers(app):
    with app.app_context(), force_locale("fr"), pytest.raises(DocumentError) as refused:
        check_upload("cv.pdf", bytes(LIMIT + MB // 2), max_bytes=LIMIT)
    assert "10,5" in str(refused.value)


def test_check_upload_mismatched_pdf_header_not_trusted(en):
    """"%PDF-" alone is not enough: the file must open as a PDF."""
    with pytest.raises(DocumentError) as refused:
        check_upload("cv.pdf", b"%PDF-1.4\n" + EXECUTABLE, max_bytes=LIMIT)
    assert refused.value.code == "damaged"


# --- Names -----------------------------------------------------------------------------------

NAMES = [
    ("../../etc/passwd", "passwd.pdf"),
    ("C:\\Users\\x\\CV Léa.pdf", "CV Léa.pdf"),
    ("\x00evil\r\nX-Header: y.pdf", "evil X-Header y.pdf"),
    ('cv"; filename="evil.exe', "cv filename evil.pdf"),
    (".hidden.pdf", "hidden.pdf"),
    ("...", "document.pdf"),
    ("", "document.pdf"),
    (None, "document.pdf"),
    ("🎉.pdf", "document.pdf"),
    ("CV 🎉 Léa ❤️.pdf", "CV Léa.pdf"),
    ("Cafe\u0301 Müller.pdf", "Caf\u00e9 Müller.pdf"),  # decomposed é becomes one character
    ("cv\u202efdp.exe", "cvfdp.pdf"),  # right-to-left override removed, extension fixed
    ("CV\tLéa   Martin .pdf", "CV Léa Martin.pdf"),
    ("CV d'Élodie (2024) – v2_final.pdf", "CV d Élodie (2024) – v2_final.pdf"),
    ("lettre.pdf.", "lettre.pdf"),
    ("a" * 300 + ".pdf", "a" * 116 + ".pdf"),
    ("é" * 300 + ".docx", "é" * 116 + ".pdf"),
    ("Lettre " * 50, ("Lettre " * 50)[:116].rstrip() + ".pdf"),
    ("x" * 119 + ".y" * 60 + ".pdf", "x" * 116 + ".pdf"),
]


@pytest.mark.parametrize(("given", "stored"), NAMES)
def test_safe_filename_tricky_names(given, stored):
    assert safe_filename(given, PDF) == stored


@pytest.mark.parametrize(("given", "stored"), NAMES)
def test_check_upload_stores_safe_name(en, given, stored):
    name = check_upload(given, make_pdf(), max_bytes=LIMIT).filename
    assert name == stored
    assert len(name) <= NAME_MAX_CHARS
    assert not name.startswith(".")
    assert not set(name) & set('\x00\r\n\t"/\\;:<>')
    assert name.isprintable()


def test_clean_filename_keeps_allowed_characters():
    name = "Ève-Marie_Łukasz (CV) 2024.docx"
    assert clean_filename(name) == name
    assert clean_filename("dossier/sous dossier\\lettre.odt") == "lettre.odt"
    assert clean_filename(None) == ""


# --- Configuration ---------------------------------------------------------------------------


def test_upload_limit_configured_with_room_for_a_whole_form(app):
    assert app.config["UPLOAD_MAX_BYTES"] == Config.UPLOAD_MAX_BYTES == 10 * MB
    assert Config.MAX_CONTENT_LENGTH >= 3 * Config.UPLOAD_MAX_BYTES + MB
    assert app.config["MAX_CONTENT_LENGTH"] == Config.MAX_CONTENT_LENGTH
