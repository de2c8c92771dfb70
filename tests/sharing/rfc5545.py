"""RFC 5545 rules a calendar app relies on, checked on the bytes a feed sends."""

from __future__ import annotations

import re

from icalendar import Calendar

_TZID = re.compile(rb";TZID=([^:;]+)[:;]")


def check_rfc5545(body: bytes) -> Calendar:
    """Assert the document's framing and required properties; return it parsed by icalendar."""
    assert body.endswith(b"\r\n"), "content lines end with CRLF"
    lines = body.split(b"\r\n")[:-1]
    assert b"\n" not in b"".join(lines), "no bare LF inside content lines"
    assert all(len(line) <= 75 for line in lines), "lines are folded at 75 octets (3.1)"
    assert lines[0] == b"BEGIN:VCALENDAR" and lines[-1] == b"END:VCALENDAR"
    body.decode("utf-8")  # 3.1.4: UTF-8
    calendar = Calendar.from_ical(body)
    assert calendar.get("VERSION") == "2.0" and calendar.get("PRODID"), "VERSION and PRODID are required (3.6)"
    zones = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    for tzid in _TZID.findall(body):
        assert tzid.decode() in zones, f"TZID {tzid!r} has its VTIMEZONE (3.2.19)"
    uids = []
    for event in calendar.walk("VEVENT"):
        for required in ("UID", "DTSTAMP", "DTSTART"):
            assert event.get(required) is not None, f"VEVENT has {required} (3.6.1)"
        assert not (event.get("DTEND") and event.get("DURATION")), "DTEND and DURATION exclude each other"
        uids.append((str(event["UID"]), event.get("RECURRENCE-ID")))
    assert len(uids) == len(set(uids)), "each VEVENT is one UID (+RECURRENCE-ID)"
    return calendar
