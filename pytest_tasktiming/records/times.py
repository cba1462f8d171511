"""Moments in the file: ISO 8601 UTC text, aware datetimes and integer nanoseconds."""

from __future__ import annotations

import datetime as _dt

UTC = _dt.timezone.utc
EPOCH = _dt.datetime(1970, 1, 1, tzinfo=UTC)
_ONE_US = _dt.timedelta(microseconds=1)


def parse_time(text: str) -> _dt.datetime:
    """Parse an ISO 8601 timestamp that must carry a UTC offset of zero."""
    moment = _dt.datetime.fromisoformat(text)
    if moment.utcoffset() != _dt.timedelta(0):
        raise ValueError(f"timestamp {text!r} is not UTC (+00:00)")
    return moment


def parse_named_time(text: str, name: str) -> _dt.datetime:
    """``parse_time`` whose ValueError names the field (``name``) and the text."""
    try:
        return parse_time(text)
    except ValueError:
        raise ValueError(f"{name} {text!r} is not an ISO 8601 UTC timestamp") from None


def to_ns(moment: _dt.datetime) -> int:
    """Nanoseconds since the epoch of an aware datetime (to the microsecond)."""
    if moment.tzinfo is None:
        raise ValueError(f"naive datetime {moment.isoformat()}: timestamps must be timezone-aware")
    return (moment - EPOCH) // _ONE_US * 1000


def from_ns(ns: int) -> _dt.datetime:
    """The aware UTC datetime of nanoseconds since the epoch (to the microsecond)."""
    return EPOCH + _dt.timedelta(microseconds=ns // 1000)
