"""Block Kit messages stay within Slack's limits whatever goes in, and keep a plain-text fallback."""

from __future__ import annotations

import pytest

from monitor.alerts.blocks import (
    MAX_BLOCKS,
    MAX_HEADER_TEXT,
    MAX_SECTION_TEXT,
    AlertContent,
    BlockKitError,
    CheckLine,
    build_message,
    resolved_update,
    validate,
)


def line(i: int, **kw) -> CheckLine:
    base = dict(dataset_name="cis_customer", check_id=f"cis.check_{i:03d}", status="fail", severity="warning",
                dimension="validity", kind="new", observed=0.9, threshold=0.95, rows_failed=i, rows_evaluated=1000,
                samples=(("CUST-1", "j***@***.com"),))
    base.update(kw)
    return CheckLine(**base)


def content(lines: list[CheckLine], **kw) -> AlertContent:
    return AlertContent(title=kw.pop("title", "Data quality: failures"), dataset_names=["cis_customer"], batch_id=3,
                        run_id=9, lines=lines, console_url="http://c:8501", summary_threshold=kw.pop("threshold", 100),
                        **kw)


def test_many_checks_and_huge_texts_still_fit() -> None:
    lines = [line(i, message="x" * 5000) for i in range(200)]
    msg = build_message(content(lines, title="T" * 400, threshold=1000))
    validate(msg)
    assert len(msg["blocks"]) <= MAX_BLOCKS
    assert len(msg["blocks"][0]["text"]["text"]) == MAX_HEADER_TEXT
    assert all(len(b["text"]["text"]) <= MAX_SECTION_TEXT for b in msg["blocks"] if b["type"] == "section"
               and "text" in b)
    assert msg["blocks"][-1]["type"] == "actions"  # the console button survives truncation
    assert "…more checks" in str(msg["blocks"][-2])


def test_summary_above_threshold_lists_the_worst() -> None:
    lines = [line(i) for i in range(12)] + [line(99, severity="critical", rows_failed=1)]
    msg = build_message(content(lines, threshold=10))
    text = str(msg["blocks"])
    assert "13 checks need attention" in text and "by severity: critical 1, warning 12" in text
    assert "cis.check_099" in text and "cis.check_011" in text and "cis.check_000" not in text


def test_anomaly_band_and_still_failing_are_shown() -> None:
    msg = build_message(content([line(1, expected_low=900.0, expected_high=1100.0, observed=300.0,
                                      kind="still_failing", failing_runs=4)]))
    text = str(msg["blocks"])
    assert "expected 900..1,100" in text and "still failing (4 runs)" in text
    assert "still failing, 4 runs" in msg["text"]


def test_resolved_update_marks_the_original() -> None:
    original = build_message(content([line(1)]))
    updated = resolved_update(original, [line(1, status="pass", kind="resolved")])
    assert "resolved: `cis.check_001`" in str(updated["blocks"]) and updated["text"].startswith("Resolved: ")
    assert updated["blocks"][-1]["type"] == "actions"


@pytest.mark.parametrize(
    ("message", "problem"),
    [
        ({"text": "", "blocks": []}, "no plain-text fallback"),
        ({"text": "x", "blocks": [{"type": "divider"}] * 51}, "51 blocks > 50"),
        ({"text": "x", "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}]},
         "header 151"),
        ({"text": "x", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "s" * 3001}}]},
         "section text 3001"),
        ({"text": "x", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]}, "11 fields"),
        ({"text": "x", "blocks": [{"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "b" * 76}, "url": "http://x"}]}]}, "button text"),
    ],
)
def test_validate_names_each_broken_limit(message: dict, problem: str) -> None:
    with pytest.raises(BlockKitError, match=problem):
        validate(message)
