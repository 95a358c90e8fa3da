"""Turning stored payloads back into values: JSON decoding, upcasting, typed Structs.

Events never change on disk. An upcaster lifts a payload of an old schema version to the next one
when it is read, so code only ever sees the current shape.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol

import msgspec

Upcaster = Callable[[dict[str, Any]], dict[str, Any]]


class Upcasters:
    """Upcasters registered per (event type, schema version they upgrade from)."""

    def __init__(self) -> None:
        self._steps: dict[tuple[str, int], Upcaster] = {}
        self._latest: dict[str, int] = {}

    def register(self, type_: str, from_version: int, upcaster: Upcaster) -> None:
        """Register `upcaster`, which turns a `from_version` payload into `from_version + 1`."""
        if (type_, from_version) in self._steps:
            raise ValueError(f"an upcaster for {type_} v{from_version} is already registered")
        self._steps[(type_, from_version)] = upcaster
        self._latest[type_] = max(self._latest.get(type_, 1), from_version + 1)

    def needed(self, type_: str, schema_version: int) -> bool:
        """Whether a payload of this version must be upcast before use."""
        return schema_version < self._latest.get(type_, schema_version)

    def apply(self, type_: str, schema_version: int, data: dict[str, Any]) -> tuple[Any, int]:
        """Run every step from `schema_version` up; returns the payload and its new version."""
        while (step := self._steps.get((type_, schema_version))) is not None:
            data = step(data)
            schema_version += 1
        return data, schema_version


class Codec(Protocol):
    """Decodes a stored payload; returns the value and the schema version it now has."""

    def decode(self, type_: str, schema_version: int, data: str) -> tuple[Any, int]: ...


class JsonCodec:
    """Payloads as plain JSON values (dicts), upcast when old."""

    def __init__(self, upcasters: Upcasters | None = None) -> None:
        self.upcasters = upcasters or Upcasters()
        self._decoder: msgspec.json.Decoder[Any] = msgspec.json.Decoder()

    def decode(self, type_: str, schema_version: int, data: str) -> tuple[Any, int]:
        value = self._decoder.decode(data)
        if self.upcasters.needed(type_, schema_version):
            return self.upcasters.apply(type_, schema_version, value)
        return value, schema_version


class TypedCodec:
    """Payloads decoded straight into the Struct registered for their type.

    Current payloads go from JSON text to Struct in one step; only old ones take the detour
    through a dict for their upcasters. Types with no Struct registered decode as plain JSON.
    """

    def __init__(self, types: Mapping[str, type[Any]], upcasters: Upcasters | None = None) -> None:
        self.upcasters = upcasters or Upcasters()
        self._types = dict(types)
        self._decoders = {name: msgspec.json.Decoder(cls) for name, cls in self._types.items()}
        self._plain = JsonCodec(self.upcasters)

    def decode(self, type_: str, schema_version: int, data: str) -> tuple[Any, int]:
        decoder = self._decoders.get(type_)
        if decoder is None:
            return self._plain.decode(type_, schema_version, data)
        if self.upcasters.needed(type_, schema_version):
            value, version = self._plain.decode(type_, schema_version, data)
            return msgspec.convert(value, self._types[type_]), version
        return decoder.decode(data), schema_version
