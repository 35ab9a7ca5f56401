"""Reading scenario, overlay and validation files: regular files only, bounded, UTF-8.

:func:`read_text` is the one way a file's text enters the loader. It opens without
blocking (a FIFO or a device never hangs it), refuses anything but a regular file and
says what the path is instead, refuses files over :data:`MAX_BYTES` before reading them,
reads at most ``MAX_BYTES + 1`` bytes, and locates the first byte that is not UTF-8.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path as FilePath

from stackbound.errors import Problem, ScenarioError

__all__ = ["MAX_BYTES", "check_text_size", "decode", "describe_kind", "read_text"]

MAX_BYTES = 10_000_000
"""The largest scenario, overlay or validation file read (10 MB)."""

_KINDS = (
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISFIFO, "a FIFO (named pipe)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
)
_OPEN_ERRORS = {
    errno.ENOENT: "no such file",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "is a directory, not a regular file",
    errno.ENXIO: "is a socket or device, not a regular file",
    errno.ELOOP: "too many levels of symbolic links",
    errno.ENAMETOOLONG: "the file name is too long",
    errno.ENOTDIR: "a part of the path is not a directory",
}


def describe_kind(mode: int) -> str | None:
    """What a non-regular file is (``"a FIFO (named pipe)"``); None for a regular file."""
    if stat.S_ISREG(mode):
        return None
    return next((name for test, name in _KINDS if test(mode)), "not a regular file")


def _fail(display: str, message: str, line: int = 0, column: int = 0) -> ScenarioError:
    return ScenarioError([Problem(display, line, column, "", message)])


def _open(path: FilePath, display: str) -> int:
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOCTTY", 0)
    try:
        return os.open(path, flags)
    except ValueError:  # an embedded NUL byte
        raise _fail(display, "cannot open the file: its name holds a NUL byte") from None
    except OSError as error:
        reason = _OPEN_ERRORS.get(error.errno or 0, error.strerror or "cannot be opened")
        raise _fail(display, f"cannot open the file: {reason}") from None


def _read_bytes(fd: int, display: str) -> bytes:
    info = os.fstat(fd)
    kind = describe_kind(info.st_mode)
    if kind is not None:
        raise _fail(display, f"cannot read the file: it is {kind}, not a regular file")
    if info.st_size > MAX_BYTES:
        raise _too_big(display, info.st_size)
    chunks: list[bytes] = []
    size = 0
    while size <= MAX_BYTES and (chunk := os.read(fd, min(1 << 20, MAX_BYTES + 1 - size))):
        chunks.append(chunk)
        size += len(chunk)
    if size > MAX_BYTES:
        raise _too_big(display, size)
    return b"".join(chunks)


def _too_big(display: str, size: int) -> ScenarioError:
    shown = f"{size:,} bytes" if size <= MAX_BYTES + 1 else f"{size / 1e6:,.1f} MB"
    return _fail(display, f"the file is too large ({shown}); a scenario file may hold at most {MAX_BYTES / 1e6:g} MB")


def check_text_size(text: str, display: str) -> None:
    """ScenarioError if ``text`` (given without a file: an upload) is over the size cap."""
    if len(text) > MAX_BYTES or len(text.encode("utf-8", errors="surrogatepass")) > MAX_BYTES:
        raise _too_big(display, len(text.encode("utf-8", errors="surrogatepass")))


def decode(data: bytes, display: str) -> str:
    """``data`` as UTF-8; a ScenarioError at the line and column of the first bad byte."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[: error.start]
        line = before.count(b"\n") + 1
        column = len(before[before.rfind(b"\n") + 1 :].decode("utf-8", errors="replace")) + 1
        byte = data[error.start]
        message = f"the file is not UTF-8 text: byte 0x{byte:02X} cannot start or continue a character"
        raise _fail(display, message, line, column) from None


def read_text(path: FilePath, display: str) -> str:
    """The text of the regular file ``path`` (named ``display`` in errors)."""
    fd = _open(path, display)
    try:
        data = _read_bytes(fd, display)
    except OSError as error:
        raise _fail(display, f"cannot read the file: {error.strerror or error}") from None
    finally:
        os.close(fd)
    return decode(data, display)
