"""PHP's ``serialize()`` format, read and written safely (pure, no object construction).

WordPress stores structured comment meta this way, the original CommentLuv plugin's
``cl_data`` among it. What a WXR file carries is untrusted, so :func:`loads` reads data only:
``N;`` null, ``b:`` bools, ``i:`` ints (64-bit), ``d:`` floats, ``s:`` strings and ``a:``
arrays. Objects (``O:``, ``C:``), enums (``E:``), references (``r:``, ``R:``) and escaped
strings (``S:``) are refused, and so are input over ``max_bytes``, nesting deeper than
``max_depth`` and any length or count that the bytes left cannot hold. ``s:N:`` counts UTF-8
bytes, as PHP does. Every refusal is a :class:`PHPSerializationError`; nothing else escapes.
"""

from __future__ import annotations

import math
import re
from typing import TypeAlias

__all__ = ["MAX_BYTES", "MAX_DEPTH", "PHPSerializationError", "PHPValue", "dumps", "loads"]

PHPValue: TypeAlias = "bool | int | float | str | dict[int | str, PHPValue] | None"

MAX_BYTES = 64 * 1024
MAX_DEPTH = 16

_BOOL_RE = re.compile(rb"[01]")
_INT_RE = re.compile(rb"[+-]?[0-9]{1,20}")
_FLOAT_RE = re.compile(rb"[+-]?(?:[0-9]{1,400}(?:\.[0-9]{0,400})?(?:[eE][+-]?[0-9]{1,4})?|INF)|NAN")
_COUNT_RE = re.compile(rb"[0-9]{1,10}")
_INT_RANGE = range(-(2**63), 2**63)
# The shortest array element is "i:0;N;": a count the bytes left cannot hold fails at once.
_MIN_ELEMENT_BYTES = 6
_TYPES = frozenset(b"bidsa")
_REFUSED = {
    ord("O"): "objects are refused",
    ord("C"): "objects are refused",
    ord("E"): "enums are refused",
    ord("r"): "references are refused",
    ord("R"): "references are refused",
    ord("S"): "escaped strings are refused",
}


class PHPSerializationError(ValueError):
    """The input is not PHP-serialized data that :func:`loads` accepts; ``position`` is the
    byte offset where reading stopped."""

    def __init__(self, message: str, position: int) -> None:
        super().__init__(f"{message} (at byte {position})")
        self.position = position


def loads(data: str | bytes, *, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH) -> PHPValue:
    """Read one serialized value; the whole input must be that value.

    A ``str`` is encoded as UTF-8 first (how PHP saw it). Array keys are ints or strings;
    a repeated key keeps its last value, as in PHP.
    """
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else data
    if len(raw) > max_bytes:
        raise PHPSerializationError(f"longer than {max_bytes} bytes", 0)
    reader = _Reader(raw, max_depth)
    value = reader.value(0)
    if reader.pos != len(raw):
        raise PHPSerializationError("unexpected data after the value", reader.pos)
    return value


def dumps(value: PHPValue) -> str:
    """Serialize ``value`` as PHP's ``serialize()`` would (string lengths in UTF-8 bytes)."""
    parts: list[str] = []
    _dump(value, parts)
    return "".join(parts)


def _dump(value: PHPValue, parts: list[str]) -> None:
    if value is None:
        parts.append("N;")
    elif isinstance(value, bool):
        parts.append(f"b:{int(value)};")
    elif isinstance(value, int):
        if value not in _INT_RANGE:
            raise ValueError("PHP ints are 64-bit")
        parts.append(f"i:{value};")
    elif isinstance(value, float):
        parts.append(f"d:{_float_text(value)};")
    elif isinstance(value, str):
        parts.append(f's:{len(value.encode("utf-8"))}:"{value}";')
    else:
        parts.append(f"a:{len(value)}:{{")
        for key, item in value.items():
            _dump(key, parts)
            _dump(item, parts)
        parts.append("}")


def _float_text(value: float) -> str:
    if math.isnan(value):
        return "NAN"
    if math.isinf(value):
        return "INF" if value > 0 else "-INF"
    return repr(value)


class _Reader:
    def __init__(self, data: bytes, max_depth: int) -> None:
        self.data = data
        self.pos = 0
        self.max_depth = max_depth

    def fail(self, message: str) -> PHPSerializationError:
        return PHPSerializationError(message, self.pos)

    def expect(self, token: bytes) -> None:
        if not self.data.startswith(token, self.pos):
            raise self.fail(f"expected {token.decode('ascii')!r}")
        self.pos += len(token)

    def match(self, pattern: re.Pattern[bytes], what: str) -> bytes:
        found = pattern.match(self.data, self.pos)
        if found is None:
            raise self.fail(f"expected {what}")
        self.pos = found.end()
        return found.group()

    def value(self, depth: int) -> PHPValue:
        if self.pos + 2 > len(self.data):
            raise self.fail("unexpected end of data")
        tag = self.data[self.pos]
        refused = _REFUSED.get(tag)
        if refused is not None:
            raise self.fail(refused)
        if tag == ord("N"):
            self.expect(b"N;")
            return None
        if tag not in _TYPES:
            raise self.fail(f"unknown type {bytes((tag,))!r}")
        self.expect(bytes((tag,)) + b":")
        if tag == ord("b"):
            flag = self.match(_BOOL_RE, "0 or 1")
            self.expect(b";")
            return flag == b"1"
        if tag == ord("i"):
            return self.integer()
        if tag == ord("d"):
            text = self.match(_FLOAT_RE, "a number")
            self.expect(b";")
            return float(text)
        if tag == ord("s"):
            return self.string()
        return self.array(depth + 1)

    def integer(self) -> int:
        number = int(self.match(_INT_RE, "a whole number"))
        if number not in _INT_RANGE:
            raise self.fail("whole number out of the 64-bit range")
        self.expect(b";")
        return number

    def count(self, what: str, limit: int) -> int:
        number = int(self.match(_COUNT_RE, what))
        if number > limit:
            raise self.fail(f"{what} {number} is more than the data left can hold")
        return number

    def string(self) -> str:
        length = self.count("string length", len(self.data) - self.pos)
        self.expect(b':"')
        end = self.pos + length
        if not self.data.startswith(b'";', end):
            raise self.fail(f"string of {length} bytes does not end where its length says")
        try:
            text = self.data[self.pos : end].decode("utf-8")
        except UnicodeDecodeError:
            raise self.fail("string is not UTF-8") from None
        self.pos = end + 2
        return text

    def array(self, depth: int) -> dict[int | str, PHPValue]:
        if depth > self.max_depth:
            raise self.fail(f"arrays nested deeper than {self.max_depth}")
        size = self.count("array size", (len(self.data) - self.pos) // _MIN_ELEMENT_BYTES)
        self.expect(b":{")
        items: dict[int | str, PHPValue] = {}
        for _ in range(size):
            key = self.key()
            items[key] = self.value(depth)
        self.expect(b"}")
        return items

    def key(self) -> int | str:
        if self.data.startswith(b"i:", self.pos):
            self.pos += 2
            return self.integer()
        if self.data.startswith(b"s:", self.pos):
            self.pos += 2
            return self.string()
        raise self.fail("array keys must be whole numbers or strings")
