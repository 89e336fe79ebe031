"""Block Kit messages for alerts, validated against Slack's limits, with a plain-text fallback.

Limits (api.slack.com/reference/block-kit): at most 50 blocks per message; a section's text 3000
characters, up to 10 fields of 2000 each; a header's plain text 150; a context up to 10 elements; a
button's text 75 and its URL 3000; the top-level `text` (the fallback shown in notifications) is cut by
Slack at 40000 and should stay under 4000. The builder truncates to fit; `validate` proves it did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELDS = 10
MAX_FIELD_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_CONTEXT_ELEMENTS = 10
MAX_BUTTON_TEXT = 75
MAX_URL = 3000
MAX_FALLBACK_TEXT = 4000

Message = dict[str, Any]


class BlockKitError(ValueError):
    """A message breaks a Block Kit limit (a bug in the builder: it truncates)."""


@dataclass(frozen=True)
class CheckLine:
    """One failed/warned check as the alert shows it (values already masked)."""

    dataset_name: str
    check_id: str
    status: str
    severity: str
    dimension: str
    kind: str  # new | still_failing | resolved
    observed: float | None = None
    threshold: float | None = None
    expected_low: float | None = None
    expected_high: float | None = None
    rows_failed: int | None = None
    rows_evaluated: int | None = None
    message: str = ""
    failing_runs: int = 1
    samples: tuple[tuple[str, str], ...] = ()  # (row key, masked value)


@dataclass
class AlertContent:
    """Everything one message says: one batch run, one channel."""

    title: str
    dataset_names: list[str]
    batch_id: int | None
    run_id: int | None
    lines: list[CheckLine]
    console_url: str
    score_before: float | None = None
    score_after: float | None = None
    summary_threshold: int = 10
    suppressed: int = 0
    mention_channel: bool = False
    extra: list[str] = field(default_factory=list)


_ICON = {"fail": ":red_circle:", "error": ":warning:", "warn": ":large_yellow_circle:", "pass": ":white_check_mark:"}


def build_message(content: AlertContent) -> Message:
    """The Block Kit payload and its plain-text fallback."""
    blocks: list[dict[str, Any]] = [_header(content.title)]
    if content.mention_channel:
        blocks.append(_section("<!channel> a *critical* check failed."))
    fields = [f"*Dataset*\n{', '.join(content.dataset_names)}",
              f"*Batch*\n{content.batch_id if content.batch_id is not None else 'whole table'}"]
    if content.score_before is not None or content.score_after is not None:
        fields.append(f"*Score raw → cleansed*\n{_pct(content.score_before)} → {_pct(content.score_after)}")
    if content.run_id is not None:
        fields.append(f"*Run*\n{content.run_id}")
    blocks.append({"type": "section", "fields": [_mrkdwn(f[:MAX_FIELD_TEXT]) for f in fields[:MAX_FIELDS]]})
    lines = content.lines
    if len(lines) > content.summary_threshold:
        blocks.append(_section(_summary(lines)))
        lines = sorted(lines, key=lambda c: (c.severity != "critical", -(c.rows_failed or 0)))[:5]
        blocks.append(_section("*Worst checks:*"))
    for line in lines:
        blocks.append(_section(_line_text(line)))
        if line.samples:
            samples = [f"`{key}` {value}" for key, value in line.samples[:3]]
            blocks.append({"type": "context", "elements": [_mrkdwn("samples: " + "  ·  ".join(samples))]})
    notes = list(content.extra)
    if content.suppressed:
        notes.append(f"{content.suppressed} more still failing, already alerted within the suppression window.")
    if notes:
        blocks.append({"type": "context", "elements": [_mrkdwn(n) for n in notes[:MAX_CONTEXT_ELEMENTS]]})
    blocks.append({"type": "actions", "elements": [{
        "type": "button", "text": {"type": "plain_text", "text": "Open in console"[:MAX_BUTTON_TEXT]},
        "url": _console_link(content)[:MAX_URL],
    }]})
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[:MAX_BLOCKS - 2] + [_section("…more checks: open the console.")] + blocks[-1:]
    message = {"text": _fallback(content), "blocks": blocks}
    validate(message)
    return message


def resolved_update(original: Message, resolved: list[CheckLine]) -> Message:
    """The original alert with a 'resolved' note, for chat.update."""
    names = ", ".join(f"`{c.check_id}`" for c in resolved)
    note = {"type": "context", "elements": [_mrkdwn(f":white_check_mark: resolved: {names}"[:MAX_SECTION_TEXT])]}
    blocks = list(original.get("blocks", []))
    blocks = blocks[:-1] + [note] + blocks[-1:] if blocks else [note]
    if len(blocks) > MAX_BLOCKS:
        blocks = blocks[:MAX_BLOCKS - 2] + blocks[-2:]
    message = {"text": "Resolved: " + original.get("text", "")[: MAX_FALLBACK_TEXT - 20], "blocks": blocks}
    validate(message)
    return message


def validate(message: Message) -> None:
    """Raise BlockKitError naming every limit the message breaks."""
    problems: list[str] = []
    text = message.get("text", "")
    if not text:
        problems.append("no plain-text fallback")
    if len(text) > MAX_FALLBACK_TEXT:
        problems.append(f"fallback text {len(text)} > {MAX_FALLBACK_TEXT}")
    blocks = message.get("blocks", [])
    if len(blocks) > MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks > {MAX_BLOCKS}")
    for i, block in enumerate(blocks):
        kind = block.get("type")
        if kind == "header" and len(block["text"]["text"]) > MAX_HEADER_TEXT:
            problems.append(f"block {i}: header {len(block['text']['text'])} > {MAX_HEADER_TEXT}")
        if kind == "section":
            if "text" in block and len(block["text"]["text"]) > MAX_SECTION_TEXT:
                problems.append(f"block {i}: section text {len(block['text']['text'])} > {MAX_SECTION_TEXT}")
            fields = block.get("fields", [])
            if len(fields) > MAX_FIELDS:
                problems.append(f"block {i}: {len(fields)} fields > {MAX_FIELDS}")
            problems += [f"block {i}: field > {MAX_FIELD_TEXT}" for f in fields if len(f["text"]) > MAX_FIELD_TEXT]
        if kind == "context":
            if len(block["elements"]) > MAX_CONTEXT_ELEMENTS:
                problems.append(f"block {i}: {len(block['elements'])} context elements > {MAX_CONTEXT_ELEMENTS}")
            problems += [f"block {i}: context text > {MAX_SECTION_TEXT}"
                         for e in block["elements"] if len(e.get("text", "")) > MAX_SECTION_TEXT]
        if kind == "actions":
            for e in block["elements"]:
                if len(e["text"]["text"]) > MAX_BUTTON_TEXT:
                    problems.append(f"block {i}: button text > {MAX_BUTTON_TEXT}")
                if len(e.get("url", "")) > MAX_URL:
                    problems.append(f"block {i}: button url > {MAX_URL}")
    if problems:
        raise BlockKitError("Block Kit limits exceeded: " + "; ".join(problems))


def _line_text(c: CheckLine) -> str:
    lead = {"still_failing": f"still failing ({c.failing_runs} runs) · ", "resolved": "resolved · "}.get(c.kind, "")
    parts = [f"{_ICON.get(c.status, '')} *{c.check_id}* — {lead}{c.status} ({c.severity}, {c.dimension})"]
    facts = []
    if c.observed is not None:
        facts.append(f"observed {_num(c.observed)}")
    if c.expected_low is not None and c.expected_high is not None:
        facts.append(f"expected {_num(c.expected_low)}..{_num(c.expected_high)}")
    elif c.threshold is not None:
        facts.append(f"threshold {_num(c.threshold)}")
    if c.rows_failed is not None and c.rows_evaluated:
        facts.append(f"{c.rows_failed:,} of {c.rows_evaluated:,} rows failed")
    if facts:
        parts.append(" · ".join(facts))
    if c.message:
        parts.append(f"_{c.message}_")
    return _fit("\n".join(parts), MAX_SECTION_TEXT)


def _summary(lines: list[CheckLine]) -> str:
    by_dim: dict[str, int] = {}
    by_sev: dict[str, int] = {}
    for c in lines:
        by_dim[c.dimension] = by_dim.get(c.dimension, 0) + 1
        by_sev[c.severity] = by_sev.get(c.severity, 0) + 1
    failed = sum(c.status == "fail" for c in lines)
    return _fit(
        f"*{len(lines)} checks need attention* ({failed} failed, {len(lines) - failed} warned or errored)\n"
        + "by dimension: " + ", ".join(f"{k} {v}" for k, v in sorted(by_dim.items())) + "\n"
        + "by severity: " + ", ".join(f"{k} {v}" for k, v in sorted(by_sev.items())),
        MAX_SECTION_TEXT,
    )


def _fallback(content: AlertContent) -> str:
    head = content.title + (" <!channel>" if content.mention_channel else "")
    rows = [f"- {c.check_id}: {c.status}" + (f" (still failing, {c.failing_runs} runs)"
                                               if c.kind == "still_failing" else "") for c in content.lines]
    return _fit("\n".join([head, *rows[:40]] + ([f"... and {len(rows) - 40} more"] if len(rows) > 40 else [])),
                MAX_FALLBACK_TEXT)


def _console_link(content: AlertContent) -> str:
    from urllib.parse import urlencode

    query = {"dataset": ",".join(content.dataset_names)}
    if content.batch_id is not None:
        query["batch"] = str(content.batch_id)
    return content.console_url.rstrip("/") + "/?" + urlencode(query)


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": {"type": "plain_text", "text": _fit(text, MAX_HEADER_TEXT), "emoji": True}}


def _section(text: str) -> dict[str, Any]:
    return {"type": "section", "text": _mrkdwn(_fit(text, MAX_SECTION_TEXT))}


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def _fit(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _pct(score: float | None) -> str:
    return "n/a" if score is None else f"{score:.1%}"


def _num(value: float) -> str:
    return f"{value:,.4g}" if abs(value) < 1e6 else f"{value:,.0f}"
