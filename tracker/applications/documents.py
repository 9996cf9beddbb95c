"""Checking what candidates upload: by content, never by name.

``check_upload(filename, content, max_bytes=...)`` accepts PDF, DOCX and ODT files and returns
a ``CheckedFile`` (sanitised name, media type read from the content, size, SHA-256, bytes), or
raises ``DocumentError`` whose ``str()`` is a translated message naming the file.

What is checked, in order:

1. the size: not empty, not over ``max_bytes``;
2. the kind, from the first bytes and the structure, never from the name or the type the
   browser sent: ``%PDF-`` then a file pypdf opens; a ZIP holding a Word main part
   (DOCX) or an ODF text ``mimetype`` first and uncompressed (ODT);
3. that the document can be read: a PDF's pages (an encrypted PDF only if it opens without
   a password), a ZIP's entries within bounds (no zip bomb, no encrypted entry), every entry's
   CRC, and the main XML part well formed;
4. the name: kept for the people who download the file, but cleaned so it is safe in a
   ``Content-Disposition`` header and on any disk, its extension set from the content.

Old Word (``.doc``, OLE2) and RTF files are refused with a message asking for PDF, DOCX or
ODT: reading them safely needs converters (LibreOffice, antiword...) that the project does not
ship, and both formats have a long history of exploits in the programs that open them.
"""

from __future__ import annotations

import hashlib
import io
import math
import unicodedata
import zipfile
from dataclasses import dataclass
from xml.parsers import expat

from babel.numbers import format_decimal
from flask_babel import get_locale
from flask_babel import gettext as _

PDF = "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ODT = "application/vnd.oasis.opendocument.text"
EXTENSIONS = {PDF: "pdf", DOCX: "docx", ODT: "odt"}

MB = 1024 * 1024

# Names are kept up to this many characters, extension included.
NAME_MAX_CHARS = 120
DEFAULT_STEM = "document"

# ZIP-based documents (DOCX, ODT) are archives that a few hundred bytes can make expand to
# gigabytes. We read every entry (to check its CRC), so the archive is refused before reading
# anything when it declares more entries, more bytes or a higher compression ratio than a real
# CV or letter has. The declared sizes bound what is read: zipfile stops at an entry's
# declared size, and a lying header then fails its CRC.
ZIP_MAX_ENTRIES = 1000
ZIP_MAX_UNPACKED_BYTES = 100 * MB
ZIP_MAX_RATIO = 100  # uncompressed / compressed, for entries above ZIP_RATIO_MIN_BYTES
ZIP_RATIO_MIN_BYTES = 1 * MB
ZIP_METADATA_MAX_BYTES = 1 * MB  # [Content_Types].xml, mimetype, META-INF/manifest.xml
READ_CHUNK = 64 * 1024

PDF_MAGIC = b"%PDF-"
ZIP_MAGIC = b"PK\x03\x04"
OLE2_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
RTF_MAGIC = b"{\\rtf"

ODT_MIMETYPE = ODT.encode("ascii")
OOXML_CONTENT_TYPES = "[Content_Types].xml"
WORD_MAIN = "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
WORD_MACRO_MAINS = {
    "application/vnd.ms-word.document.macroEnabled.main+xml",  # .docm
    "application/vnd.ms-word.template.macroEnabledTemplate.main+xml",  # .dotm
}
VBA_PROJECT = "application/vnd.ms-office.vbaProject"

# Extensions that a misnamed file may carry and that we replace with the right one
# ("cv.docx" holding a PDF becomes "cv.pdf"). Any other dotted ending is part of the name
# ("CV v2.3", "Léa.Martin") and the right extension is appended instead.
KNOWN_EXTENSIONS = frozenset({
    "pdf", "docx", "odt", "doc", "docm", "dot", "dotx", "dotm", "ott", "fodt", "rtf", "txt",
    "text", "md", "pages", "wpd", "wps", "odf", "epub", "xls", "xlsx", "ods", "ppt", "pptx",
    "odp", "html", "htm", "xhtml", "mht", "mhtml", "xml", "json", "jpg", "jpeg", "png", "gif",
    "webp", "heic", "heif", "tif", "tiff", "bmp", "svg", "zip", "rar", "7z", "gz", "tar", "exe",
    "bin", "dat", "tmp", "part", "crdownload", "download",
})


class DocumentError(ValueError):
    """A refused file; ``str(error)`` is a translated message for the candidate.

    ``code`` says which rule refused it, for code that must tell cases apart: ``empty``,
    ``too_large``, ``not_a_document``, ``old_format``, ``damaged``, ``password``, ``macros``,
    ``unsafe_archive``.
    """

    def __init__(self, message: str, code: str = "refused") -> None:
        super().__init__(message)
        self.code = code


@dataclass(frozen=True)
class CheckedFile:
    filename: str  # the original name, sanitised, its extension matching the content
    media_type: str  # from the content: application/pdf, ...docx, ...odt
    size: int
    sha256: str
    content: bytes


def check_upload(filename: str | None, content: bytes, *, max_bytes: int) -> CheckedFile:
    """Validate one uploaded file or raise DocumentError.

    Pass the whole file (the request size is already capped by ``MAX_CONTENT_LENGTH``), so
    that the message for a file over the limit gives its real size.

    The content alone decides the media type. A name that disagrees with it is not an error:
    candidates misname files all the time (a PDF export saved as "cv.docx", a file renamed by a
    phone or a webmail), and refusing them would lose applications for nothing. The stored
    name gets the extension of what the file really is, so that it opens in the right program
    once downloaded.
    """
    content = bytes(content)
    shown = _shown_name(filename)
    size = len(content)
    if size == 0:
        raise DocumentError(_("The file “%(name)s” is empty.", name=shown), "empty")
    if size > max_bytes:
        raise DocumentError(
            _(
                "The file “%(name)s” is too large (%(size)s MB); the limit is %(limit)s MB.",
                name=shown,
                size=_megabytes(size, up=True),
                limit=_megabytes(max_bytes, up=False),
            ),
            "too_large",
        )
    media_type = _read_document(content, shown)
    return CheckedFile(
        filename=safe_filename(filename, media_type),
        media_type=media_type,
        size=size,
        sha256=hashlib.sha256(content).hexdigest(),
        content=content,
    )


# --- Recognising and reading ---------------------------------------------------------------


def _read_document(content: bytes, shown: str) -> str:
    """The media type of a readable PDF, DOCX or ODT, or DocumentError."""
    if content.startswith(PDF_MAGIC):
        _check_pdf(content, shown)
        return PDF
    if content.startswith(ZIP_MAGIC):
        return _check_zip_document(content, shown)
    if content.startswith(OLE2_MAGIC):
        # Office 97-2003 container. Word also wraps password-protected DOCX files in one.
        if "EncryptedPackage".encode("utf-16-le") in content:
            raise _password(shown)
        if "WordDocument".encode("utf-16-le") in content:
            raise DocumentError(
                _(
                    "The file “%(name)s” is in the old Word format (.doc), which we cannot "
                    "open safely. Save it as PDF, DOCX or ODT and send it again.",
                    name=shown,
                ),
                "old_format",
            )
    if content[:16].removeprefix(b"\xef\xbb\xbf").startswith(RTF_MAGIC):
        raise DocumentError(
            _(
                "The file “%(name)s” is in RTF format, which we cannot open safely. "
                "Save it as PDF, DOCX or ODT and send it again.",
                name=shown,
            ),
            "old_format",
        )
    raise _not_a_document(shown)


def _check_pdf(content: bytes, shown: str) -> None:
    """The PDF opens, without a password, and its pages can be read.

    pypdf parses lazily: the cross-reference table, the page tree and the first page's content
    stream are read, not the fonts, images or attachments, so a 10 MB file costs little.
    pypdf also caps what one stream may decompress to (its ``*_MAX_OUTPUT_LENGTH`` limits).
    """
    from pypdf import PdfReader, PasswordType

    try:
        # strict=False: real PDFs have small defects (a wrong offset, a missing newline)
        # that every reader forgives.
        reader = PdfReader(_ReadOnlyStream(content), strict=False)
        if reader.is_encrypted and reader.decrypt("") == PasswordType.NOT_DECRYPTED:
            # pypdf already tried the empty user password; a PDF that needs a real one
            # is unreadable for the people who will review it.
            raise _password(shown)
        pages = reader.pages
        if len(pages) == 0:
            raise _damaged(shown)
        for page in pages:
            page.mediabox  # noqa: B018 - every page object exists and is a page
        contents = pages[0].get_contents()
        if contents is not None:
            contents.get_data()  # decodes (and decrypts) the first page's drawing
    except DocumentError:
        raise
    except Exception as error:  # noqa: BLE001 - a parser of hostile input fails in many ways
        raise _damaged(shown) from error


class _ReadOnlyStream(io.BufferedReader):
    """The bytes as a seekable file, never copied.

    pypdf asks an ``io.BytesIO`` for its buffer (to learn its size), which makes the
    ``BytesIO`` copy the bytes it shares with ``content``; a reader without ``getbuffer``
    is measured by seeking instead.
    """

    def __init__(self, content: bytes) -> None:
        super().__init__(io.BytesIO(content))


def _check_zip_document(content: bytes, shown: str) -> str:
    """DOCX or ODT: the archive within bounds, its entries intact, its main part well formed."""
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            infos = archive.infolist()
            _check_archive_bounds(infos, shown)
            media_type, main_part = _zip_document_kind(archive, infos, shown)
            for info in infos:
                if info.is_dir():
                    continue
                checker = _XmlChecker() if info.filename == main_part else None
                # Reading to the end checks the CRC (zipfile raises BadZipFile otherwise).
                with archive.open(info) as entry:
                    while chunk := entry.read(READ_CHUNK):
                        if checker is not None:
                            checker.feed(chunk)
                if checker is not None:
                    checker.close()
                    if checker.root != _MAIN_ROOTS[media_type]:
                        raise _damaged(shown)
            return media_type
    except DocumentError:
        raise
    except Exception as error:  # noqa: BLE001 - BadZipFile, zlib.error, ExpatError, EOFError...
        # (and _UnsafeXml: Word and LibreOffice never write a DTD, so the file was tampered)
        raise _damaged(shown) from error


def _check_archive_bounds(infos: list[zipfile.ZipInfo], shown: str) -> None:
    if len(infos) > ZIP_MAX_ENTRIES:
        raise _unsafe(shown)
    if sum(info.file_size for info in infos) > ZIP_MAX_UNPACKED_BYTES:
        raise _unsafe(shown)
    for info in infos:
        if info.flag_bits & 0x1:  # the entry is encrypted
            raise _password(shown)
        if (info.file_size > ZIP_RATIO_MIN_BYTES
                and info.file_size > ZIP_MAX_RATIO * max(info.compress_size, 1)):
            raise _unsafe(shown)


_MAIN_ROOTS = {DOCX: "document", ODT: "document-content"}


def _zip_document_kind(
    archive: zipfile.ZipFile, infos: list[zipfile.ZipInfo], shown: str
) -> tuple[str, str]:
    """(media type, name of the part to parse) of a DOCX or an ODT, or DocumentError."""
    first = infos[0] if infos else None
    if (first is not None and first.filename == "mimetype"
            and first.compress_type == zipfile.ZIP_STORED
            and first.file_size <= ZIP_METADATA_MAX_BYTES
            and archive.read(first) == ODT_MIMETYPE):
        names = {info.filename: info for info in infos}
        manifest = names.get("META-INF/manifest.xml")
        if manifest is not None and _odf_manifest_encrypted(archive, manifest):
            raise _password(shown)
        if "content.xml" not in names:
            raise _damaged(shown)
        return ODT, "content.xml"

    by_lower = {info.filename.lower(): info for info in infos}
    types_info = by_lower.get(OOXML_CONTENT_TYPES.lower())
    if types_info is None:
        raise _not_a_document(shown)  # a ZIP, an ODS, an EPUB...
    if types_info.file_size > ZIP_METADATA_MAX_BYTES:
        raise _unsafe(shown)
    defaults, overrides = _content_types(archive.read(types_info))
    declared = set(overrides.values()) | set(defaults.values())
    if declared & WORD_MACRO_MAINS or VBA_PROJECT in declared or any(
            name.endswith("vbaproject.bin") for name in by_lower):
        raise DocumentError(
            _(
                "The file “%(name)s” is a Word document with macros, which we do not accept. "
                "Save it as DOCX (Word document) or PDF and send it again.",
                name=shown,
            ),
            "macros",
        )
    mains = [part for part, kind in overrides.items() if kind == WORD_MAIN]
    if len(mains) != 1:
        raise _not_a_document(shown)  # a spreadsheet, a presentation, a Word template...
    main = by_lower.get(mains[0].lstrip("/").lower())  # OPC part names ignore case
    if main is None:
        raise _damaged(shown)
    return DOCX, main.filename


def _content_types(data: bytes) -> tuple[dict[str, str], dict[str, str]]:
    """[Content_Types].xml as ({extension: type}, {part name: type}), lower-cased keys."""
    defaults: dict[str, str] = {}
    overrides: dict[str, str] = {}

    def start(name: str, attrs: dict[str, str]) -> None:
        local = name.rsplit(" ", 1)[-1]
        if local == "Default" and "Extension" in attrs:
            defaults[attrs["Extension"].lower()] = attrs.get("ContentType", "")
        elif local == "Override" and "PartName" in attrs:
            overrides[attrs["PartName"].lower()] = attrs.get("ContentType", "")

    checker = _XmlChecker(start)
    checker.feed(data)
    checker.close()
    if checker.root != "Types":
        raise ValueError("not a content types part")
    return defaults, overrides


def _odf_manifest_encrypted(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """True when the ODF manifest declares encrypted entries (a password-protected file)."""
    if info.file_size > ZIP_METADATA_MAX_BYTES:
        raise ValueError("manifest too large")
    found = []

    def start(name: str, attrs: dict[str, str]) -> None:
        if name.rsplit(" ", 1)[-1] == "encryption-data":
            found.append(name)

    checker = _XmlChecker(start)
    checker.feed(archive.read(info))
    checker.close()
    return bool(found)


class _UnsafeXml(Exception):
    """An XML part with a document type declaration: OOXML and ODF never have one."""


class _XmlChecker:
    """Checks that XML is well formed, chunk by chunk, without building a tree.

    Document type declarations are refused, which rules out entity tricks (billion laughs,
    external entities) whatever the expat version.
    """

    def __init__(self, on_start=None) -> None:
        self.root: str | None = None
        self._on_start = on_start
        self._parser = expat.ParserCreate(namespace_separator=" ")
        self._parser.StartElementHandler = self._start
        self._parser.StartDoctypeDeclHandler = self._refuse
        self._parser.EntityDeclHandler = self._refuse

    def _start(self, name: str, attrs: dict[str, str]) -> None:
        if self.root is None:
            self.root = name.rsplit(" ", 1)[-1]
        if self._on_start is not None:
            self._on_start(name, attrs)

    def _refuse(self, *args) -> None:
        raise _UnsafeXml()

    def feed(self, data: bytes) -> None:
        self._parser.Parse(data, False)

    def close(self) -> None:
        self._parser.Parse(b"", True)


# --- Messages --------------------------------------------------------------------------------


def _not_a_document(shown: str) -> DocumentError:
    return DocumentError(
        _("The file “%(name)s” is not a PDF, DOCX or ODT document.", name=shown),
        "not_a_document",
    )


def _damaged(shown: str) -> DocumentError:
    return DocumentError(
        _(
            "The file “%(name)s” is damaged and cannot be opened. Save or export it again, "
            "then send the new file.",
            name=shown,
        ),
        "damaged",
    )


def _password(shown: str) -> DocumentError:
    return DocumentError(
        _(
            "The file “%(name)s” is protected by a password. Save a copy without a password "
            "and send that one.",
            name=shown,
        ),
        "password",
    )


def _unsafe(shown: str) -> DocumentError:
    return DocumentError(
        _(
            "The file “%(name)s” unpacks to too much data to be checked safely. Save it as "
            "PDF and send it again.",
            name=shown,
        ),
        "unsafe_archive",
    )


def _megabytes(size: int, *, up: bool) -> str:
    """A size in MB with at most one decimal, in the current language ("10.1", "10,1").

    A file's size is rounded up, so that a file over the limit never reads as equal to it.
    """
    tenths = size * 10 / MB
    value = (math.ceil(tenths) if up else math.floor(tenths)) / 10
    return format_decimal(value, format="#,##0.#", locale=str(get_locale() or "en"))


# --- Names -----------------------------------------------------------------------------------


def clean_filename(name: str | None) -> str:
    """The file name without its folders and anything unsafe; "" when nothing is left.

    Kept: letters (accented ones too, composed: NFC), digits and their marks, spaces, dots,
    dashes, underscores and parentheses. Folders (``/`` and ``\\``) and control or invisible
    characters (NUL, CR, LF, bidirectional overrides...) are removed; other characters (quotes,
    colons, emoji...) become spaces; spaces are collapsed; leading dots are removed. The result
    can go in a header or a path as is.
    """
    return _cleaned(name).lstrip(". ")


def safe_filename(name: str | None, media_type: str) -> str:
    """The name to store: cleaned, with the extension of ``media_type``, at most 120 characters.

    "cv.docx" holding a PDF becomes "cv.pdf"; "CV Léa" becomes "CV Léa.pdf"; a name with
    nothing usable (".pdf", "🎉") becomes "document.pdf".
    """
    wanted = EXTENSIONS[media_type]
    stem, extension = _split(name)
    if extension.lower() == wanted:
        pass  # keep it as written: "CV.PDF"
    elif extension.lower() in KNOWN_EXTENSIONS:
        extension = wanted
    else:  # "CV v2.3": the dotted ending is part of the name
        stem = ".".join(part for part in (stem, extension) if part)
        extension = wanted
    return _capped(stem, extension)


def _cleaned(name: str | None) -> str:
    if not name:
        return ""
    name = unicodedata.normalize("NFC", str(name))
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    kept: list[str] = []
    for char in name:
        category = unicodedata.category(char)
        if char.isspace():
            kept.append(" ")
        elif category[0] == "C":  # Cc controls, Cf format (zero-width, bidi), Co, Cs, Cn
            continue
        elif category[0] == "L" or category == "Nd":
            kept.append(char)
        elif category[0] == "M":  # a combining mark, only on a letter or digit kept
            if kept and kept[-1] != " " and unicodedata.category(kept[-1])[0] in "LNM":
                kept.append(char)
        elif char in "._()" or category == "Pd":
            kept.append(char)
        else:
            kept.append(" ")
    return " ".join("".join(kept).split()).rstrip(". ")


def _split(name: str | None) -> tuple[str, str]:
    """(stem, extension) of the cleaned name; the stem may be empty (".pdf")."""
    text = _cleaned(name)
    stem, dot, extension = text.rpartition(".")
    if dot and extension and " " not in extension:
        return stem.lstrip(". ").rstrip(". "), extension
    return text.lstrip(". "), ""


def _shown_name(name: str | None) -> str:
    """The name used in messages, before we know what the file is."""
    stem, extension = _split(name)
    if len(extension) > 10:
        stem, extension = f"{stem}.{extension}".lstrip("."), ""
    return _capped(stem, extension)


def _capped(stem: str, extension: str) -> str:
    suffix = f".{extension}" if extension else ""
    stem = stem[: NAME_MAX_CHARS - len(suffix)].rstrip(". ") or DEFAULT_STEM
    return stem + suffix
