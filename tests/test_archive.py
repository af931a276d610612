"""Reading export ZIPs: the real fixtures open cleanly, every hostile shape fails the archive."""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

import pytest

from docmost_syncd.config import LimitsSettings
from docmost_syncd.errors import ArchiveError
from docmost_syncd.sources.archive.reader import SafeArchive, decode_metadata_key, normalize_entry_name

EXPORTS = Path(__file__).parent / "fixtures" / "docmost-0.95.0" / "exports"

FIXTURE_ZIPS = sorted(p.name for p in EXPORTS.glob("*.zip"))


@pytest.mark.parametrize("name", FIXTURE_ZIPS)
def test_every_fixture_zip_opens(name: str) -> None:
    with SafeArchive(EXPORTS / name, LimitsSettings()) as archive:
        names = list(archive.names())
    assert names
    assert not any(n.startswith("/") or "//" in n for n in names)


def test_docmost_leading_and_double_slashes_are_normalised() -> None:
    with SafeArchive(EXPORTS / "sec-common.with-attachments.zip", LimitsSettings()) as archive:
        names = set(archive.names())
        metadata = archive.metadata()
    assert "files/01a2184c-bc5d-7529-b3a8-e2ad4108f976/API_spec_v2.pdf" in names
    assert "머메이드/한글 경로 하하/files/01a2184c-bc80-761c-b647-7e9d4f8cad02/blue.png" in names
    long_names = [n for n in names if len(n.rsplit("/", 1)[-1].encode()) > 255]
    assert len(long_names) == 1  # the 255-byte Korean title + ".md" is read, not extracted
    assert metadata is not None
    decoded = {decode_metadata_key(key) for key in metadata["pages"]}
    assert decoded <= names


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("/files/a/b.png", "files/a/b.png"),
        ("A//files/x", "A/files/x"),
        ("한글 NFD 제목.md", "한글 NFD 제목.md"),
    ],
)
def test_normalisation(raw: str, normal: str) -> None:
    assert normalize_entry_name(raw) == normal


def make_zip(
    path: Path, entries: list[tuple[str | zipfile.ZipInfo, bytes]], compression: int = zipfile.ZIP_DEFLATED
) -> Path:
    with zipfile.ZipFile(path, "w", compression) as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return path


def symlink_entry() -> zipfile.ZipInfo:
    info = zipfile.ZipInfo("link.md")
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


HOSTILE = {
    "symlink": ([(symlink_entry(), b"/etc/passwd")], "symbolic link"),
    "bomb": ([("bomb.md", b"\0" * (8 * 1024 * 1024))], "ZIP bomb"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_archives_are_refused(tmp_path: Path, case: str) -> None:
    entries, reason = HOSTILE[case]
    path = make_zip(tmp_path / "hostile.zip", [("ok.md", b"# ok"), *entries])
    with pytest.raises(ArchiveError, match=reason) as error:
        SafeArchive(path, LimitsSettings())
    assert "hostile.zip" in str(error.value)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["hostile.zip"]  # nothing written


ODD_NAMES = [
    "../evil.md",
    "a/../../evil.md",
    "C:/Windows/evil.md",
    "C:\\x.md",
    "a\x01NUL\x01b.md",  # patched to a real NUL below
    "a\x1bb.md",
    "tab\there.md",
    "new\nline.md",
    "Release notes..md",
]


def test_names_are_data_never_refused(tmp_path: Path) -> None:
    """Servers before 0.95 put raw titles into entry names; the reader never writes by name."""
    path = make_zip(tmp_path / "odd.zip", [(name, name.encode()) for name in ODD_NAMES])
    # zipfile refuses to write a NUL into a name; put one into the stored bytes directly.
    path.write_bytes(path.read_bytes().replace(b"\x01NUL\x01", b"\x00NUL\x00"))
    with SafeArchive(path, LimitsSettings()) as archive:
        names = sorted(archive.names())
    assert len(names) == len(ODD_NAMES)
    assert "a\x00NUL\x00b.md" in names and "tab\there.md" in names and "C:\\x.md" in names
    assert sorted(p.name for p in tmp_path.iterdir()) == ["odd.zip"]  # nothing written


def test_entry_count_and_total_size_limits(tmp_path: Path) -> None:
    many = make_zip(tmp_path / "many.zip", [(f"p{i}.md", b"x") for i in range(20)])
    with pytest.raises(ArchiveError, match="max_entries"):
        SafeArchive(many, LimitsSettings(max_entries=10))
    big = make_zip(tmp_path / "big.zip", [("a.md", b"x" * 5000), ("b.md", b"y" * 5000)], zipfile.ZIP_STORED)
    with pytest.raises(ArchiveError, match="max_uncompressed_bytes"):
        SafeArchive(big, LimitsSettings(max_uncompressed_bytes=8000))


def test_not_a_zip(tmp_path: Path) -> None:
    path = tmp_path / "x.zip"
    path.write_bytes(b"<html>502 Bad Gateway</html>")
    with pytest.raises(ArchiveError, match="not a readable ZIP"):
        SafeArchive(path, LimitsSettings())


def test_nfc_and_nfd_spellings_are_two_entries(tmp_path: Path) -> None:
    import unicodedata

    nfc = "한글 제목.md"
    nfd = unicodedata.normalize("NFD", nfc)
    path = make_zip(tmp_path / "n.zip", [(nfc, b"a"), (nfd, b"b")])
    with SafeArchive(path, LimitsSettings()) as archive:
        assert archive.read_text(nfc) == "a" and archive.read_text(nfd) == "b"
        assert not archive.ambiguous


def test_two_slash_spellings_of_one_name_are_ambiguous(tmp_path: Path) -> None:
    path = make_zip(tmp_path / "s.zip", [("A/files/x.png", b"a"), ("A//files/x.png", b"b")])
    with SafeArchive(path, LimitsSettings()) as archive:
        assert archive.ambiguous == {"A/files/x.png"}


def test_copy_streams_an_entry_to_a_file(tmp_path: Path) -> None:
    with SafeArchive(EXPORTS / "eng.with-attachments.zip", LimitsSettings()) as archive:
        name = next(n for n in archive.names() if n.endswith(".png"))
        written = archive.copy_to(name, tmp_path / "out.png")
        assert written == archive.files[name].file_size
    assert (tmp_path / "out.png").read_bytes()[:4] == b"\x89PNG"
