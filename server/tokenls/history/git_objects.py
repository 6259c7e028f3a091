"""What git's objects hold, as the history reads them: tree entries with their modes, the
commit fields a history row shows, and the parsing of raw tree and commit objects."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

MODE_FILE, MODE_EXECUTABLE, MODE_LINK, MODE_TREE, MODE_MODULE = (
    "100644",
    "100755",
    "120000",
    "40000",
    "160000",
)


@dataclass(frozen=True, slots=True)
class Entry:
    """A tree entry: its mode as git writes it and the object it names."""

    mode: str
    oid: str

    @property
    def is_file(self) -> bool:
        return self.mode in (MODE_FILE, MODE_EXECUTABLE, "100664")

    @property
    def is_link(self) -> bool:
        return self.mode == MODE_LINK

    @property
    def is_tree(self) -> bool:
        return self.mode.lstrip("0") == MODE_TREE


@dataclass(frozen=True, slots=True)
class CommitInfo:
    """What a history row shows of a commit."""

    oid: str
    tree: str
    date: str  # the author date, ISO 8601 with its offset
    subject: str


def path_name(raw: bytes) -> str:
    return raw.decode("utf-8", "surrogateescape")


def parse_tree(data: bytes, width: int) -> dict[str, Entry]:
    entries: dict[str, Entry] = {}
    position = 0
    while position < len(data):
        space = data.find(b" ", position)
        nul = data.find(b"\0", space)
        if space < 0 or nul < 0 or nul + 1 + width > len(data):
            break
        mode = data[position:space].decode("ascii", "replace")
        name = path_name(data[space + 1 : nul])
        entries[name] = Entry(mode, data[nul + 1 : nul + 1 + width].hex())
        position = nul + 1 + width
    return entries


def parse_commit(oid: str, data: bytes) -> CommitInfo:
    head, _, message = data.partition(b"\n\n")
    tree = date = ""
    encoding = "utf-8"
    for line in head.split(b"\n"):
        key, _, value = line.partition(b" ")
        if key == b"tree":
            tree = value.decode("ascii", "replace")
        elif key == b"author":
            date = _date(value)
        elif key == b"encoding":
            encoding = value.decode("ascii", "replace").strip() or "utf-8"
    try:
        text = message.decode(encoding, "replace")
    except LookupError:
        text = message.decode("utf-8", "replace")
    paragraph = text.strip("\n").split("\n\n", 1)[0]
    subject = " ".join(line.strip() for line in paragraph.splitlines())
    return CommitInfo(oid, tree, date, subject)


def _date(author: bytes) -> str:
    """``Name <mail> 1700000000 +0100`` → ``2023-11-14T23:13:20+01:00``."""
    fields = author.rsplit(b" ", 2)
    try:
        seconds, zone = int(fields[-2]), fields[-1].decode()
        sign = -1 if zone.startswith("-") else 1
        offset = timedelta(hours=int(zone[1:3]), minutes=int(zone[3:5])) * sign
        return datetime.fromtimestamp(seconds, timezone(offset)).isoformat()
    except (ValueError, IndexError, OverflowError, OSError):
        return ""
