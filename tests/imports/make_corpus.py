# ruff: noqa: E501, E701, RUF001
"""Writes tests/imports/corpus/*.ics (run once; the files are committed)."""
from pathlib import Path

out = Path(__file__).parent / "corpus"

def cal(prodid, body, extra=""):
    return f"BEGIN:VCALENDAR\nVERSION:2.0\nPRODID:{prodid}\n{extra}{body}END:VCALENDAR\n"

def ev(uid, start, end="", summary="Event", more="", loc="", geo=""):
    s = f"BEGIN:VEVENT\nUID:{uid}\nDTSTAMP:20270101T000000Z\n{start}\n"
    if end: s += end + "\n"
    s += f"SUMMARY:{summary}\n"
    if loc: s += f"LOCATION:{loc}\n"
    if geo: s += f"GEO:{geo}\n"
    s += more
    return s + "END:VEVENT\n"

PARIS_TZ = """BEGIN:VTIMEZONE
TZID:Europe/Paris
BEGIN:DAYLIGHT
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
TZNAME:CEST
DTSTART:19700329T020000
RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU
END:DAYLIGHT
BEGIN:STANDARD
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
TZNAME:CET
DTSTART:19701025T030000
RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU
END:STANDARD
END:VTIMEZONE
"""
WIN_TZ = """BEGIN:VTIMEZONE
TZID:W. Europe Standard Time
BEGIN:STANDARD
DTSTART:16010101T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:16010101T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
"""
GEO = "48.8566;2.3522"
files = {}
# 1 Google Calendar: X-WR-TIMEZONE, UTC times
files["google_basic"] = cal("-//Google Inc//Google Calendar 70.9054//EN",
    ev("g1@google.com", "DTSTART:20270510T170000Z", "DTEND:20270510T190000Z", "Board games night", loc="Café Oz, 18 Rue Saint-Denis, Paris, France", more="DESCRIPTION:Bring your own games\\nFree entry\n"),
    "CALSCALE:GREGORIAN\nMETHOD:PUBLISH\nX-WR-CALNAME:Club\nX-WR-TIMEZONE:Europe/Paris\n")
# 2 Google weekly with EXDATE
files["google_weekly_exdate"] = cal("-//Google Inc//Google Calendar 70.9054//EN", PARIS_TZ +
    ev("g2@google.com", "DTSTART;TZID=Europe/Paris:20270302T190000", "DTEND;TZID=Europe/Paris:20270302T210000", "Choir rehearsal", geo=GEO,
       more="RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=8\nEXDATE;TZID=Europe/Paris:20270316T190000\n"), "X-WR-TIMEZONE:Europe/Paris\n")
# 3 Google recurring with override and a cancelled instance
files["google_override"] = cal("-//Google Inc//Google Calendar 70.9054//EN", PARIS_TZ +
    ev("g3@google.com", "DTSTART;TZID=Europe/Paris:20270301T180000", "DTEND;TZID=Europe/Paris:20270301T200000", "Running club", geo=GEO,
       more="RRULE:FREQ=WEEKLY;COUNT=6\n") +
    ev("g3@google.com", "DTSTART;TZID=Europe/Paris:20270315T190000", "DTEND;TZID=Europe/Paris:20270315T210000", "Running club (late)", geo=GEO,
       more="RECURRENCE-ID;TZID=Europe/Paris:20270315T180000\n") +
    ev("g3@google.com", "DTSTART;TZID=Europe/Paris:20270322T180000", "DTEND;TZID=Europe/Paris:20270322T200000", "Running club", geo=GEO,
       more="RECURRENCE-ID;TZID=Europe/Paris:20270322T180000\nSTATUS:CANCELLED\n"))
# 4 Outlook with Windows zone
files["outlook_windows_zone"] = cal("Microsoft Exchange Server 2010", WIN_TZ +
    ev("040000008200E00074C5B7101A82E00800000000", "DTSTART;TZID=W. Europe Standard Time:20270412T093000", "DTEND;TZID=W. Europe Standard Time:20270412T110000",
       "Quarterly review", loc="Berlin", more="X-MICROSOFT-CDO-BUSYSTATUS:BUSY\n"), "METHOD:PUBLISH\n")
# 5 Outlook recurring monthly, Windows zone, DST crossing
files["outlook_monthly"] = cal("Microsoft Exchange Server 2010", WIN_TZ +
    ev("040000008200E00074C5B7101A82E00800000001", "DTSTART;TZID=W. Europe Standard Time:20270205T180000", "DTEND;TZID=W. Europe Standard Time:20270205T200000",
       "Monthly meetup", geo="52.52;13.405", more="RRULE:FREQ=MONTHLY;BYDAY=1FR;COUNT=6\n"))
# 6 Meetup export
files["meetup"] = cal("-//Meetup//RemoteApi//EN",
    ev("event_298765432@meetup.com", "DTSTART;TZID=Europe/Lisbon:20270520T183000", "DTEND;TZID=Europe/Lisbon:20270520T210000", "Lisbon Python Meetup",
       loc="LX Factory (Rua Rodrigues de Faria 103, Lisbon, pt)", geo="38.703;-9.178", more="URL:https://www.meetup.com/lisbon-python/events/298765432/\nCATEGORIES:Tech\n"),
    "METHOD:PUBLISH\nX-ORIGINAL-URL:https://www.meetup.com/lisbon-python/events/ical/\nX-WR-CALNAME:Events - Lisbon Python\n")
# 7 Eventbrite single
files["eventbrite"] = cal("-//Eventbrite Inc//Eventbrite//EN",
    ev("eb-123456789@eventbrite.com", "DTSTART:20270601T160000Z", "DTEND:20270601T200000Z", "Street food festival",
       loc="Mercado de San Miguel, Plaza de San Miguel, Madrid", more="DESCRIPTION:Tickets at https://www.eventbrite.com/e/123456789\nURL:https://www.eventbrite.com/e/123456789\n"))
# 8 Mobilizon
files["mobilizon"] = cal("-//Mobilizon//Mobilizon 4.0//EN",
    ev("https://mobilizon.fr/events/7b3a9f0e-1111-4aaa-8bbb-123456789abc", "DTSTART:20270704T080000Z", "DTEND:20270704T120000Z", "Nettoyage des berges",
       loc="Quai de la Loire, Nantes", geo="47.2184;-1.5536", more="STATUS:CONFIRMED\nCATEGORIES:outdoors\nORGANIZER;CN=Collectif:mailto:noreply@mobilizon.fr\n"))
# 9 Gancio
files["gancio"] = cal("-//Gancio//gancio//IT",
    ev("gancio-42@gancio.cisti.org", "DTSTART;TZID=Europe/Rome:20270815T213000", "DTEND;TZID=Europe/Rome:20270815T233000", "Concerto in piazza",
       loc="Piazza Castello, Torino", more="CATEGORIES:music,concert\n"))
# 10 Apple Calendar with X-APPLE-STRUCTURED-LOCATION
files["apple"] = cal("-//Apple Inc.//macOS 14.0//EN", PARIS_TZ +
    ev("5F1C3A2B-1234-4D5E-9F00-ABCDEF012345", "DTSTART;TZID=Europe/Paris:20270906T100000", "DTEND;TZID=Europe/Paris:20270906T120000", "Marché aux livres",
       loc="Parc Georges-Brassens\\nParis France", more="X-APPLE-STRUCTURED-LOCATION;VALUE=URI;X-APPLE-RADIUS=70;X-TITLE=Parc Georges-Brassens:geo:48.8327,2.3003\n"))
# 11 floating time (no TZID)
files["floating"] = cal("-//Hand written//EN",
    ev("floating-1@example.org", "DTSTART:20270707T200000", "DTEND:20270707T220000", "Open air cinema", geo="48.8566;2.3522"))
# 12 all-day single
files["all_day"] = cal("-//Google Inc//Google Calendar 70.9054//EN",
    ev("allday-1@example.org", "DTSTART;VALUE=DATE:20270721", "DTEND;VALUE=DATE:20270722", "Summer fair", geo=GEO))
# 13 all-day multi-day without DTEND
files["all_day_no_end"] = cal("-//x//EN",
    ev("allday-2@example.org", "DTSTART;VALUE=DATE:20270801", "", "Harvest day", geo=GEO))
# 14 missing DTEND timed
files["missing_dtend"] = cal("-//x//EN",
    ev("noend-1@example.org", "DTSTART:20270901T180000Z", "", "Quick talk", geo=GEO))
# 15 DURATION
files["duration"] = cal("-//x//EN",
    ev("dur-1@example.org", "DTSTART;TZID=Europe/Paris:20270910T180000", "DURATION:PT1H30M", "Workshop", geo=GEO), PARIS_TZ)
# 16 huge description
files["huge_description"] = cal("-//x//EN",
    ev("huge-1@example.org", "DTSTART:20271001T180000Z", "DTEND:20271001T200000Z", "Long read", geo=GEO, more="DESCRIPTION:" + "lorem ipsum " * 4000 + "\n"))
# 17 duplicate UIDs
files["duplicate_uids"] = cal("-//x//EN",
    ev("dup-1@example.org", "DTSTART:20271002T180000Z", "DTEND:20271002T200000Z", "First", geo=GEO) +
    ev("dup-1@example.org", "DTSTART:20271003T180000Z", "DTEND:20271003T200000Z", "Second copy", geo=GEO))
# 18 RDATE
files["rdate"] = cal("-//x//EN", PARIS_TZ +
    ev("rdate-1@example.org", "DTSTART;TZID=Europe/Paris:20271005T190000", "DTEND;TZID=Europe/Paris:20271005T210000", "Tasting", geo=GEO,
       more="RDATE;TZID=Europe/Paris:20271012T190000,20271019T190000\n"))
# 19 cancelled event
files["cancelled"] = cal("-//x//EN",
    ev("cancel-1@example.org", "DTSTART:20271101T180000Z", "DTEND:20271101T200000Z", "Called off", geo=GEO, more="STATUS:CANCELLED\n"))
# 20 no location at all
files["no_location"] = cal("-//x//EN",
    ev("noloc-1@example.org", "DTSTART:20271102T180000Z", "DTEND:20271102T200000Z", "Somewhere"))
# 21 unsupported rule (BYHOUR)
files["unsupported_rule"] = cal("-//x//EN",
    ev("byhour-1@example.org", "DTSTART:20271103T080000Z", "DTEND:20271103T090000Z", "Hourly", geo=GEO, more="RRULE:FREQ=DAILY;BYHOUR=8,12;COUNT=4\n"))
# 22 custom VTIMEZONE with an odd TZID (Lotus Notes style)
files["custom_tzid"] = cal("-//Lotus Development Corporation//NONSGML Notes 9.0//EN",
    """BEGIN:VTIMEZONE
TZID:Central Europe Custom
BEGIN:STANDARD
DTSTART:19501029T030000
TZOFFSETFROM:+0200
TZOFFSETTO:+0100
RRULE:FREQ=YEARLY;BYMINUTE=0;BYHOUR=3;BYDAY=-1SU;BYMONTH=10
END:STANDARD
BEGIN:DAYLIGHT
DTSTART:19500326T020000
TZOFFSETFROM:+0100
TZOFFSETTO:+0200
RRULE:FREQ=YEARLY;BYMINUTE=0;BYHOUR=2;BYDAY=-1SU;BYMONTH=3
END:DAYLIGHT
END:VTIMEZONE
""" + ev("notes-1@example.org", "DTSTART;TZID=Central Europe Custom:20270614T140000", "DTEND;TZID=Central Europe Custom:20270614T153000", "Notes meeting", geo="48.2082;16.3738"))
# 23 freeassociation TZID path
files["path_tzid"] = cal("-//Mozilla.org/NONSGML Mozilla Calendar V1.1//EN",
    ev("moz-1@example.org", "DTSTART;TZID=/freeassociation.sourceforge.net/Tzfile/Europe/Madrid:20270618T200000",
       "DTEND;TZID=/freeassociation.sourceforge.net/Tzfile/Europe/Madrid:20270618T220000", "Tapas night", geo="40.4168;-3.7038"))
# 24 folded long lines
long_summary = "A very long title that goes on " * 4
files["folded"] = cal("-//x//EN", ev("fold-1@example.org", "DTSTART:20270620T180000Z", "DTEND:20270620T200000Z", long_summary.strip()[:150], geo=GEO,
    more="DESCRIPTION:" + "Folded text " * 30 + "\n")).replace("Folded text Folded text ", "Folded text Folded\r\n  text ", 3)
# 25 LF-only line endings (broken)
files["lf_only"] = cal("-//x//EN", ev("lf-1@example.org", "DTSTART:20270621T180000Z", "DTEND:20270621T200000Z", "Unix newlines", geo=GEO))
# 26 multiple RRULEs
files["two_rrules"] = cal("-//x//EN", ev("two-1@example.org", "DTSTART:20270622T180000Z", "DTEND:20270622T200000Z", "Twice", geo=GEO,
    more="RRULE:FREQ=WEEKLY;COUNT=2\nRRULE:FREQ=MONTHLY;COUNT=2\n"))
# 27 DTEND before DTSTART
files["end_before_start"] = cal("-//x//EN", ev("neg-1@example.org", "DTSTART:20270623T200000Z", "DTEND:20270623T180000Z", "Backwards", geo=GEO))
# 28 no UID
files["no_uid"] = cal("-//x//EN", "BEGIN:VEVENT\nDTSTAMP:20270101T000000Z\nDTSTART:20270624T180000Z\nDTEND:20270624T200000Z\nSUMMARY:Anonymous\nGEO:48.85;2.35\nEND:VEVENT\n")
# 29 no DTSTART
files["no_dtstart"] = cal("-//x//EN", "BEGIN:VEVENT\nUID:nostart-1@example.org\nDTSTAMP:20270101T000000Z\nSUMMARY:Timeless\nGEO:48.85;2.35\nEND:VEVENT\n")
# 30 daily UNTIL in UTC with DST crossing, Europe/London
files["daily_until"] = cal("-//x//EN", ev("daily-1@example.org", "DTSTART;TZID=Europe/London:20270325T070000", "DTEND;TZID=Europe/London:20270325T080000", "Morning swim",
    geo="51.5072;-0.1276", more="RRULE:FREQ=DAILY;UNTIL=20270330T060000Z\n"))
# 31 yearly all-day (birthday-ish)
files["yearly_all_day"] = cal("-//x//EN", ev("year-1@example.org", "DTSTART;VALUE=DATE:20270914", "DTEND;VALUE=DATE:20270915", "Town festival", geo=GEO,
    more="RRULE:FREQ=YEARLY;COUNT=2\n"))
# 32 US zone, New York
files["new_york"] = cal("-//x//EN", ev("ny-1@example.org", "DTSTART;TZID=America/New_York:20271106T233000", "DTEND;TZID=America/New_York:20271107T013000", "Late show",
    loc="Brooklyn, New York"))
# 33 many events (100)
files["many"] = cal("-//x//EN", "".join(ev(f"many-{i}@example.org", f"DTSTART:202712{1 + i % 28:02d}T{10 + i % 10:02d}0000Z", f"DTEND:202712{1 + i % 28:02d}T{11 + i % 10:02d}0000Z", f"Item {i}", geo=f"48.{8000 + i};2.{3000 + i}") for i in range(100)))

for name, text in files.items():
    data = text.replace("\n", "\r\n") if name != "lf_only" else text
    data = data.replace("\r\r\n", "\r\n")
    (out / f"{name}.ics").write_bytes(data.encode("utf-8"))
# 34 non-UTF-8 (Windows-1252) bytes
(out / "cp1252.ics").write_bytes(cal("-//x//EN", ev("cp-1@example.org", "DTSTART:20270625T180000Z", "DTEND:20270625T200000Z", "Fête de la musique – café", geo=GEO)).replace("\n", "\r\n").encode("cp1252"))
# 35 UTF-8 with BOM
(out / "bom.ics").write_bytes(b"\xef\xbb\xbf" + cal("-//x//EN", ev("bom-1@example.org", "DTSTART:20270626T180000Z", "DTEND:20270626T200000Z", "Café crème", geo=GEO)).replace("\n", "\r\n").encode())
print(len(list(out.glob("*.ics"))))
