"""What Slack refuses in a message or a view: the stand-in answers `invalid_blocks` (or `msg_too_long`) where
Slack would, so a test fails on a card real Slack would never show.

The numbers are Slack's documented limits (docs.slack.dev/reference/block-kit), written out here apart from
the Block Kit builder's own table on purpose: this is an independent check of the builder.
"""

from __future__ import annotations

import json
from typing import Any

MESSAGE_TEXT = 40_000
MESSAGE_BLOCKS = 50
VIEW_BLOCKS = 100
TEXT_OBJECT = 3_000
SECTION_FIELD = 2_000
SECTION_FIELDS = 10
HEADER = 150
CONTEXT_ELEMENTS = 10
ACTIONS_ELEMENTS = 25
BUTTON_TEXT = 75
BUTTON_VALUE = 2_000
OPTION_TEXT = 75
OPTION_VALUE = 150
OPTIONS = 100
PLACEHOLDER = 150
LABEL = 2_000
BLOCK_ID = 255
ACTION_ID = 255
VIEW_TITLE = 24
PRIVATE_METADATA = 3_000


def _loaded(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def _text_problem(text: Any, limit: int, where: str) -> str | None:
    if not isinstance(text, dict) or not isinstance(text.get("text"), str):
        return f"{where}: no text object"
    if not text["text"] or len(text["text"]) > limit:
        return f"{where}: text of {len(text['text'])} characters (1 to {limit})"
    return None


def _element_problem(element: dict[str, Any]) -> str | None:
    if len(str(element.get("action_id", ""))) > ACTION_ID:
        return "action_id too long"
    kind = element.get("type")
    if kind == "button":
        if len(str(element.get("value", ""))) > BUTTON_VALUE:
            return "button value too long"
        return _text_problem(element.get("text"), BUTTON_TEXT, "button")
    if kind in ("static_select", "radio_buttons", "checkboxes"):
        options = element.get("options") or []
        if len(options) > OPTIONS:
            return f"{len(options)} options"
        for option in options:
            if len(str(option.get("value", ""))) > OPTION_VALUE:
                return "option value too long"
            if problem := _text_problem(option.get("text"), OPTION_TEXT, "option"):
                return problem
    if "placeholder" in element:
        return _text_problem(element["placeholder"], PLACEHOLDER, "placeholder")
    return None


def _block_problem(block: dict[str, Any]) -> str | None:
    if len(str(block.get("block_id", ""))) > BLOCK_ID:
        return "block_id too long"
    kind = block.get("type")
    if kind == "header":
        return _text_problem(block.get("text"), HEADER, "header")
    if kind == "section":
        fields = block.get("fields") or []
        if "text" not in block and not fields:
            return "section with neither text nor fields"
        if "text" in block and (problem := _text_problem(block["text"], TEXT_OBJECT, "section")):
            return problem
        if len(fields) > SECTION_FIELDS:
            return f"{len(fields)} fields"
        for field in fields:
            if problem := _text_problem(field, SECTION_FIELD, "field"):
                return problem
        return _element_problem(block["accessory"]) if "accessory" in block else None
    if kind == "context":
        elements = block.get("elements") or []
        if not elements or len(elements) > CONTEXT_ELEMENTS:
            return f"context of {len(elements)} elements"
        for element in elements:
            if element.get("type") in ("mrkdwn", "plain_text") and (
                problem := _text_problem(element, TEXT_OBJECT, "context")
            ):
                return problem
    if kind == "actions":
        elements = block.get("elements") or []
        if not elements or len(elements) > ACTIONS_ELEMENTS:
            return f"actions of {len(elements)} elements"
        for element in elements:
            if problem := _element_problem(element):
                return problem
    if kind == "input":
        if problem := _text_problem(block.get("label"), LABEL, "label"):
            return problem
        return _element_problem(block.get("element") or {})
    return None


def blocks_problem(blocks: Any, limit: int) -> str | None:
    """Why Slack would refuse these blocks, or None."""
    blocks = _loaded(blocks) or []
    if len(blocks) > limit:
        return f"{len(blocks)} blocks (at most {limit})"
    for block in blocks:
        if problem := _block_problem(block):
            return problem
    return None


def refusal(method: str, body: dict[str, Any]) -> str | None:
    """The error code Slack would answer for this call's content (None: Slack would take it)."""
    if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
        if len(str(body.get("text") or "")) > MESSAGE_TEXT:
            return "msg_too_long"
        return "invalid_blocks" if blocks_problem(body.get("blocks"), MESSAGE_BLOCKS) else None
    if method in ("views.open", "views.update", "views.push", "views.publish"):
        view = _loaded(body.get("view")) or {}
        if len(str(view.get("private_metadata", ""))) > PRIVATE_METADATA:
            return "invalid_arguments"
        for key in ("title", "submit", "close"):
            if key in view and _text_problem(view[key], VIEW_TITLE, key):
                return "invalid_arguments"
        return "invalid_blocks" if blocks_problem(view.get("blocks"), VIEW_BLOCKS) else None
    return None
