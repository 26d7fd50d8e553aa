"""YAML loading with source positions, so every config error can name file:line.

The loader is `yaml.SafeLoader` with limits that keep a hostile or broken file from becoming a
traceback or a hang: files over `MAX_BYTES`, nesting deeper than `MAX_DEPTH`, recursive aliases,
more than `MAX_NODES` values once aliases are expanded ("billion laughs") and duplicate keys are
all refused with one `file:line: what; how to fix` line.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from embedgate.infra.errors import InputError

Loc = tuple[str | int, ...]

MAX_BYTES = 1 << 20  # suites and recipes are a few KiB; the pure-Python parser is slow past this
MAX_DEPTH = 64
MAX_NODES = 100_000  # values after alias expansion; the largest shipped suite has ~150
_MERGE_TAG = "tag:yaml.org,2002:merge"


@dataclass(frozen=True)
class YamlDoc:
    """Parsed YAML data plus the line of every key and item (1-based)."""

    path: Path
    data: Any
    lines: dict[Loc, int] = field(default_factory=dict)

    def where(self, loc: Loc) -> str:
        """`file:line` of the deepest known prefix of `loc`."""
        for cut in range(len(loc), -1, -1):
            line = self.lines.get(tuple(loc[:cut]))
            if line is not None:
                return f"{self.path}:{line}"
        return str(self.path)


class _Refused(yaml.YAMLError):
    """A document the loader will not build: `message` already says what and how to fix."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(message)
        self.line = line
        self.message = message


class _LimitedLoader(yaml.SafeLoader):
    """SafeLoader that bounds depth and alias expansion and rejects duplicate keys."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._depth = 0
        self._open: set[str] = set()  # anchors whose node is still being composed
        self._expanded = 0  # values composed so far, an alias counting its whole subtree
        self._sizes: dict[int, int] = {}  # id(anchored node) -> expanded size

    def compose_node(self, parent: yaml.Node | None, index: Any) -> yaml.Node:
        event = self.peek_event()
        line = event.start_mark.line + 1
        if isinstance(event, yaml.AliasEvent):
            return self._compose_alias(event, line, parent, index)
        if self._depth >= MAX_DEPTH:
            raise _Refused(line, f"nesting deeper than {MAX_DEPTH} levels; flatten the "
                                 "document (suites need a handful of levels)")
        anchor = event.anchor
        before = self._expanded
        self._expanded += 1
        self._check_size(line)
        self._depth += 1
        if anchor is not None:
            self._open.add(anchor)
        try:
            node = super().compose_node(parent, index)
        finally:
            self._depth -= 1
            self._open.discard(anchor or "")
        if anchor is not None:
            self._sizes[id(node)] = self._expanded - before
        return node

    def _compose_alias(self, event: yaml.AliasEvent, line: int, parent: yaml.Node | None,
                       index: Any) -> yaml.Node:
        if event.anchor in self._open:
            raise _Refused(line, f"alias *{event.anchor} refers to its own anchor (a recursive "
                                 "alias); copy the values instead")
        node = super().compose_node(parent, index)  # raises for an undefined alias
        self._expanded += self._sizes.get(id(node), 1)
        self._check_size(line)
        return node

    def _check_size(self, line: int) -> None:
        if self._expanded > MAX_NODES:
            raise _Refused(line, f"more than {MAX_NODES:,} values once aliases are expanded "
                                 "(an alias bomb?); remove the nested aliases")

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            if key_node.tag == _MERGE_TAG or not isinstance(key_node, yaml.ScalarNode):
                continue
            key = self.construct_object(key_node)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise _Refused(line, f'duplicate key "{key}" (first at line {seen[key]}); '
                                     "remove one")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)

    def construct_object(self, node: yaml.Node, deep: bool = False) -> Any:
        try:
            return super().construct_object(node, deep=deep)
        except (ValueError, TypeError, OverflowError) as exc:  # e.g. a date like 2024-13-45
            if not isinstance(node, yaml.ScalarNode):
                raise
            raise _Refused(node.start_mark.line + 1,
                           f"cannot read value {node.value!r} ({exc}); quote it to keep it as "
                           "text") from None


def load_yaml(path: Path) -> YamlDoc:
    """Read a YAML file with `yaml.safe_load` semantics (plus limits) and record line numbers."""
    text = _read(path)
    loader = _LimitedLoader(text)
    try:
        node = loader.get_single_node()
        lines: dict[Loc, int] = {}
        if node is not None:
            _walk(node, (), lines, loader)
        data = loader.construct_document(node) if node is not None else None
    except _Refused as exc:
        raise InputError(f"{path}:{exc.line}: {exc.message}") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"{path}:{mark.line + 1}" if mark is not None else str(path)
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        fix = "fix the syntax"
        if problem.startswith("but found another document"):
            problem, fix = "a second document (after ---)", "keep one document per file"
        raise InputError(f"{where}: malformed YAML: {problem}; {fix}") from None
    except (RecursionError, ValueError, TypeError):  # backstop: the limits above come first
        raise InputError(f"{path}: YAML this loader cannot build (too deep or an odd key); "
                         "simplify the structure") from None
    finally:
        loader.dispose()
    return YamlDoc(path=path, data=data, lines=lines)


def _read(path: Path) -> str:
    try:
        size = path.stat().st_size
        if size > MAX_BYTES:
            raise InputError(f"{path}: {size:,} bytes is over the {MAX_BYTES:,}-byte limit for "
                             "a YAML file; keep data in dataset files, not in the YAML")
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"{path}: file not found; check the path") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a YAML file; give the file's path") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not valid UTF-8 (byte {exc.start}); save it as UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror}); check the path and "
                         "permissions") from None


def _walk(node: yaml.Node, loc: Loc, lines: dict[Loc, int], loader: _LimitedLoader) -> None:
    lines.setdefault(loc, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = _key(key_node, loader)
            lines[loc + (key,)] = key_node.start_mark.line + 1
            _walk(value_node, loc + (key,), lines, loader)
    elif isinstance(node, yaml.SequenceNode):
        for i, item in enumerate(node.value):
            _walk(item, loc + (i,), lines, loader)


def _key(node: yaml.Node, loader: _LimitedLoader) -> str | int:
    """A mapping key as the data holds it (`1:` is the int 1), so locations match pydantic's."""
    if node.tag == _MERGE_TAG:
        return "<<"
    if not isinstance(node, yaml.ScalarNode):
        return "?"
    key = loader.construct_object(node)
    return key if isinstance(key, str | int) else str(node.value)
