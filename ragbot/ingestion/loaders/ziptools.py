"""Safety checks on Office ZIP containers (DOCX, XLSX, PPTX) before any XML parser sees them."""

from __future__ import annotations

import io
import struct
import zipfile

from ragbot.errors import CorruptFile
from ragbot.ingestion.loaders.common import one_line

MAX_MEMBERS = 10_000
MAX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_RATIO = 100
# Below this, even an extreme ratio cannot hurt, and small repetitive documents compress very well.
RATIO_FLOOR = 10 * 1024 * 1024
_EOCD = b"PK\x05\x06"
_BLOCK = 1 << 20
# Entity declarations are how billion-laughs and XXE attacks start; Word never writes them.
_MARKERS = tuple(
    marker.encode(encoding).lower()
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
_CARRY = max(len(m) for m in _MARKERS)


def check_docx_container(data: bytes, name: str) -> None:
    """Refuse zip bombs, absurd member counts and XML with DOCTYPE/ENTITY, each with a readable reason."""
    check_office_container(data, name, what="Word document", app="Word", suffix=".docx")


def check_office_container(data: bytes, name: str, *, what: str, app: str, suffix: str) -> None:
    """check_docx_container for any Office file: what, app and suffix name it in the messages."""
    _check_member_count(data, name, what)
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
            _check_sizes(infos, len(data), name, app)
            for info in infos:
                if _is_xml_candidate(info.filename) and _has_markers(archive, info):
                    raise CorruptFile(
                        f"{name}: the {what} contains XML entity declarations (<!DOCTYPE/<!ENTITY>), "
                        f"which Ragbot refuses for safety; open it in {app}, save a new copy and upload that."
                    )
    except CorruptFile:
        raise
    except Exception as exc:  # BadZipFile, zlib.error, NotImplementedError (odd compression), RuntimeError (encrypted)
        reason = one_line(str(exc), 120) or type(exc).__name__
        raise CorruptFile(
            f"{name}: the file is not a readable {what} ({reason}); save it again as {suffix}."
        ) from exc


def _check_member_count(data: bytes, name: str, what: str) -> None:
    """Read the entry count from the end record before zipfile builds a list of them all."""
    end = data.rfind(_EOCD, max(0, len(data) - 65_557))
    if end == -1 or end + 22 > len(data):
        raise CorruptFile(f"{name}: the file is not a complete {what} (damaged or cut short); upload it again.")
    (entries,) = struct.unpack_from("<H", data, end + 10)
    if entries > MAX_MEMBERS:
        raise CorruptFile(f"{name}: the file has too many internal parts to be a normal {what}; save it again.")


def _check_sizes(infos: list[zipfile.ZipInfo], packed: int, name: str, app: str) -> None:
    total = sum(info.file_size for info in infos)
    too_big = total > MAX_UNCOMPRESSED
    too_dense = total > RATIO_FLOOR and total > MAX_RATIO * max(packed, 1)
    if too_big or too_dense:
        raise CorruptFile(
            f"{name}: the file unpacks to {total / 1048576:,.0f} MB from {packed / 1048576:,.1f} MB, "
            f"which looks like a zip bomb; open it in {app}, save a new copy and upload that."
        )


# Binary parts no loader parses: an SVG image, a Mac printer-settings plist or an embedded file may carry a harmless
# DOCTYPE that nobody reads.
_UNPARSED_FOLDERS = ("/media/", "/printerSettings/", "/embeddings/")


def _is_xml_candidate(member: str) -> bool:
    """Every part a loader may parse as XML: all but the binary folders."""
    return not any(folder in member for folder in _UNPARSED_FOLDERS)


def _has_markers(archive: zipfile.ZipFile, info: zipfile.ZipInfo) -> bool:
    """Stream one member looking for entity markers; zipfile caps output at the declared size."""
    tail = b""
    with archive.open(info) as stream:
        while block := stream.read(_BLOCK):
            window = tail + block.lower()
            if any(marker in window for marker in _MARKERS):
                return True
            tail = window[-_CARRY:]
    return False
