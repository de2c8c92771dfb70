"""RRULE validation and expansion in local time (pure: no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.series.rules import RuleError, check_size, occurrences, parse_rule, to_instant

PARIS = ZoneInfo("Europe/Paris")
FAR = datetime(2100, 1, 1, tzinfo=UTC)


def test_a_weekly_series_of_52_keeps_19h_local_across_both_dst_changes() -> None:
    start = datetime(2027, 1, 5, 19, 0)  # a Tuesday in winter (UTC+1)
    rule = parse_rule("RRULE:FREQ=WEEKLY;BYDAY=TU;COUNT=52", PARIS)
    found = list(occurrences(rule, start, PARIS, before=FAR))
    assert len(found) == 52
    assert {o.local.time().isoformat() for o in found} == {"19:00:00"}
    offsets = {o.instant.astimezone(PARIS).utcoffset() for o in found}
    assert offsets == {timedelta(hours=1), timedelta(hours=2)}  # both sides of the March and October changes
    assert {o.instant.astimezone(PARIS).hour for o in found} == {19}


def test_dst_gap_moves_forward_and_fold_takes_the_first() -> None:
    # 28 March 2027: Paris goes 02:00 -> 03:00; 31 October 2027: 03:00 -> 02:00.
    gap = to_instant(datetime(2027, 3, 28, 2, 30), PARIS)
    assert gap == datetime(2027, 3, 28, 1, 30, tzinfo=UTC)  # 03:30 CEST: read with the offset before the gap
    fold = to_instant(datetime(2027, 10, 31, 2, 30), PARIS)
    assert fold == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)  # 02:30 CEST, the first of the two


def test_exdates_remove_starts() -> None:
    start = datetime(2027, 1, 5, 19, 0)
    rule = parse_rule("FREQ=WEEKLY;COUNT=4", PARIS)
    found = [o.local for o in occurrences(rule, start, PARIS, exdates=[datetime(2027, 1, 12, 19, 0)], before=FAR)]
    assert found == [datetime(2027, 1, 5, 19), datetime(2027, 1, 19, 19), datetime(2027, 1, 26, 19)]


def test_until_forms_are_normalised_to_utc() -> None:
    as_date = parse_rule("FREQ=WEEKLY;UNTIL=20270630", PARIS)
    assert as_date.parts["UNTIL"] == "20270630T215959Z"  # the last second of 30 June, Paris time
    as_local = parse_rule("FREQ=WEEKLY;UNTIL=20270630T190000", PARIS)
    assert as_local.text == "FREQ=WEEKLY;UNTIL=20270630T170000Z"
    assert parse_rule("freq=weekly;until=20270630T170000Z", PARIS).text == as_local.text


def test_until_is_inclusive_in_local_time() -> None:
    rule = parse_rule("FREQ=DAILY;UNTIL=20270110", PARIS)
    found = list(occurrences(rule, datetime(2027, 1, 5, 23, 30), PARIS, before=FAR))
    assert found[-1].local == datetime(2027, 1, 10, 23, 30)


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("", "one line"),
        ("FREQ=WEEKLY;BYDAY=XX", "BYDAY=XX"),
        ("FREQ=HOURLY", "FREQ=HOURLY"),
        ("FREQ=WEEKLY;FOO=1", "FOO"),
        ("INTERVAL=2", "FREQ is required"),
        ("FREQ=WEEKLY;COUNT=3;UNTIL=20270101", "COUNT and UNTIL"),
        ("FREQ=WEEKLY;BYHOUR=9", "BYHOUR is not supported"),
        ("FREQ=WEEKLY;INTERVAL=0", "INTERVAL=0"),
        ("FREQ=WEEKLY;INTERVAL=two", "not an integer"),
        ("FREQ=WEEKLY;BYDAY=2TU", "ordinal"),
        ("FREQ=MONTHLY;BYDAY=6TU", "ordinal"),
        ("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=30", "never"),
        ("FREQ=MONTHLY;BYDAY=MO;BYSETPOS=6", "BYSETPOS=6"),
        ("FREQ=WEEKLY;UNTIL=soon", "UNTIL=SOON"),
        ("FREQ=WEEKLY;COUNT", "NAME=VALUE"),
        ("FREQ=WEEKLY;FREQ=DAILY", "twice"),
        ("FREQ=WEEKLY\nCOUNT=2", "one line"),
    ],
)
def test_malformed_or_unsupported_rules_are_refused_with_the_part_named(text: str, says: str) -> None:
    with pytest.raises(RuleError, match=says.replace("(", r"\(")):
        parse_rule(text, PARIS)


def test_too_many_occurrences_are_refused() -> None:
    start = datetime(2027, 1, 5, 19, 0)
    with pytest.raises(RuleError, match="more than 100"):
        check_size(parse_rule("FREQ=DAILY;COUNT=101", PARIS), start, PARIS, horizon_end=FAR, limit=100)
    with pytest.raises(RuleError, match="more than 100 occurrences in all"):
        check_size(parse_rule("FREQ=DAILY;UNTIL=20990101", PARIS), start, PARIS, horizon_end=FAR, limit=100)
    last = check_size(parse_rule("FREQ=DAILY;COUNT=100", PARIS), start, PARIS, horizon_end=FAR, limit=100)
    assert last == to_instant(start + timedelta(days=99), PARIS)


def test_an_unbounded_rule_is_capped_at_the_horizon() -> None:
    start = datetime(2027, 1, 5, 19, 0)
    horizon = to_instant(start, PARIS) + timedelta(days=365)
    rule = parse_rule("FREQ=WEEKLY", PARIS)
    assert check_size(rule, start, PARIS, horizon_end=horizon, limit=53) is None  # 53 Tuesdays, no last start
    with pytest.raises(RuleError, match="within the horizon"):
        check_size(parse_rule("FREQ=DAILY", PARIS), start, PARIS, horizon_end=horizon, limit=100)


def test_a_rule_with_no_occurrence_is_refused() -> None:
    with pytest.raises(RuleError, match="no occurrence"):
        check_size(parse_rule("FREQ=WEEKLY;UNTIL=20200101", PARIS), datetime(2027, 1, 5, 19), PARIS,
                   horizon_end=FAR, limit=10)


def test_rare_but_possible_rules_end_quickly() -> None:
    rule = parse_rule("FREQ=YEARLY;BYMONTH=2;BYMONTHDAY=29;COUNT=3", PARIS)
    found = list(occurrences(rule, datetime(2027, 1, 1, 19), PARIS, before=FAR))
    assert [o.local.year for o in found] == [2028, 2032, 2036]
