"""Reading an export file: defusedxml, and the line and column of every element.

An export is untrusted input, so it is parsed with defusedxml, which refuses
entity declarations and external references (the "billion laughs" and XXE
attacks). Its parser is the pure-Python one over expat, which lets the tree
builder note where each element starts, so a problem with one comment in a
20 MB export can say ``FILE:line 4181, column 7``.

Namespaced names are given a short prefix joined with a hyphen (``wp-comment``,
``content-encoded``, attribute ``dsq-id``), chosen by the caller from the
namespace's URI: exports of different versions use different URIs for the same
names, and ElementTree's paths then need no namespace map.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import DefusedXMLParser

from ..errors import InputError


class XmlError(InputError):
    """The file is not well-formed XML, or uses what defusedxml refuses."""


class Element(ET.Element):
    """An element that knows where it started in the file."""

    line: int = 0
    column: int = 0

    def where(self) -> str:
        return f"line {self.line}, column {self.column}"

    def text_of(self, tag: str, default: str = "") -> str:
        """The stripped text of the child ``tag`` (``default`` when absent or empty)."""
        child = self.find(tag)
        if child is None or child.text is None:
            return default
        return child.text.strip() or default


#: Namespace URI → the short prefix names in it get ("" for none).
Prefixes = Callable[[str], str]


class _Builder(ET.TreeBuilder):
    def __init__(self, prefixes: Prefixes) -> None:
        super().__init__(element_factory=Element)
        self.parser: DefusedXMLParser | None = None
        self.prefixes = prefixes
        self.names: dict[str, str] = {}

    def _name(self, name: str) -> str:
        short = self.names.get(name)
        if short is None:
            uri, brace, local = name[1:].partition("}")
            prefix = self.prefixes(uri) if name.startswith("{") and brace else ""
            short = f"{prefix}-{local}" if prefix else (local if brace else name)
            self.names[name] = short
        return short

    def start(self, tag, attrs):
        attrs = {self._name(key): value for key, value in attrs.items()}
        element = super().start(self._name(tag), attrs)
        expat = self.parser.parser  # the pure-Python XMLParser keeps its expat parser here
        element.line = expat.CurrentLineNumber
        element.column = expat.CurrentColumnNumber + 1
        return element

    def end(self, tag):
        return super().end(self._name(tag))


def read_xml(path: Path, prefixes: Prefixes) -> Element:
    """The root element of ``path``; :class:`XmlError` with line and column when malformed."""
    builder = _Builder(prefixes)
    parser = DefusedXMLParser(target=builder, forbid_dtd=False, forbid_entities=True)
    builder.parser = parser
    try:
        with open(path, "rb") as handle:
            while chunk := handle.read(1 << 20):
                parser.feed(chunk)
        return parser.close()
    except ET.ParseError as exc:
        line, column = exc.position
        reason = str(exc).split(":")[0]
        raise XmlError(
            f"{path}:line {line}, column {column + 1}: not well-formed XML ({reason})"
        ) from exc
    except DefusedXmlException as exc:
        expat = parser.parser
        raise XmlError(
            f"{path}:line {expat.CurrentLineNumber}, column {expat.CurrentColumnNumber + 1}: "
            f"refused: {exc} (entity declarations and external references are not allowed "
            "in an export)"
        ) from exc
    except OSError as exc:
        raise XmlError(f"cannot read {path}: {exc.strerror or exc}") from exc
