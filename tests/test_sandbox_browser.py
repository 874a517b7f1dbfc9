"""The sandbox in a real browser: headless Chromium (Debian's, through Playwright) walks the story a newcomer
walks, clicking what the bot drew. One sandbox and one browser for the module; a fresh page per test.

The request and paging walks run once those domains are in the bot; until then their commands are unknown
and the walks skip, saying so (the browser itself never skips where Chromium is installed: .ci/run)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import CAO, DIRECTOR, EMPLOYEE, EMPLOYEE_2, MODERATOR
from tests.sandbox_harness import CHROMIUM_ARGS, RunningSandbox, SlackPage, browser_or_skip, running_sandbox

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")
REF = re.compile(r"F-\d+")
DESKTOP = {"width": 1280, "height": 860}


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    path = browser_or_skip()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def sandbox(chromium: Any) -> Iterator[RunningSandbox]:
    with running_sandbox() as running:
        yield running


@pytest.fixture
def slack(chromium: Any, sandbox: RunningSandbox) -> Iterator[SlackPage]:
    """A fresh page; any script error on it fails the test."""
    from playwright.sync_api import expect

    expect.set_options(timeout=15_000)
    context = chromium.new_context(viewport=DESKTOP)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    yield SlackPage(page, sandbox.url)
    context.close()
    assert errors == [], f"the page raised: {errors}"


def expect(locator: Any) -> Any:
    from playwright.sync_api import expect as playwright_expect

    return playwright_expect(locator)


def require(sandbox: RunningSandbox, step: str) -> dict[str, Any]:
    """The tour step, or skip: its domain is not in the bot yet."""
    found = sandbox.tour()[step]
    if not found["available"]:
        pytest.skip(
            f"the tour's step {step!r} comes with {found['coming_with']}, which is not in the bot yet"
        )
    return found


def flag(slack: SlackPage, post: str, note: str) -> str:
    """File a flag with /flag as whoever the page is; its reference, from the private receipt."""
    slack.channel("general")
    slack.send(f"/flag {post} {note}")
    receipt = slack.message("Flagged as")
    expect(receipt).to_contain_text("Only visible to you")
    return REF.search(receipt.inner_text()).group(0)


# ----- the walks


def test_flag_claim_resolve(slack: SlackPage, sandbox: RunningSandbox) -> None:
    slack.open(EMPLOYEE)
    ref = flag(
        slack, "https://www.facebook.com/prairiecrossing/posts/100", "People ask when the pool reopens"
    )
    expect(slack.step("flag")).to_have_class(re.compile("done"))

    slack.step("claim").get_by_role("button").click()  # "Be Morgan Moderator": switches and opens #moderation
    expect(slack.page.locator("#me")).to_have_value(MODERATOR)
    card = slack.message(f"{ref} ·")
    expect(card).to_contain_text("Reported by")
    expect(card.locator(".mention").first).to_have_text("@Erin Employee")  # <@U…> shown as a name
    expect(card).not_to_contain_text(" UTC")  # <!date^…> rendered, not its fallback
    slack.click("Claim", f"{ref} ·")
    expect(card).to_contain_text("Claimed by @Morgan Moderator")
    expect(card).to_contain_text("(edited)")  # the same message, edited in place
    expect(slack.step("claim")).to_have_class(re.compile("done"))
    slack.screenshot("moderation-channel.png")

    slack.click("Resolve…", f"{ref} ·")
    expect(slack.modal).to_contain_text(f"Resolve {ref}")
    slack.submit()  # nothing chosen: refused on the field, as Slack's client refuses it
    expect(slack.field("What was done?")).to_contain_text("Please complete this required field.")
    slack.choose("What was done?", "Answered publicly with facts")
    slack.fill("Note for the record", "Replied with the reopening date.")
    slack.submit()
    expect(slack.modal).to_have_count(0)
    expect(card).to_contain_text("Resolved by @Morgan Moderator")
    expect(card.get_by_role("button", name="Claim")).to_have_count(0)
    expect(slack.step("resolve")).to_have_class(re.compile("done"))

    slack.be(EMPLOYEE)
    slack.app("messages")
    expect(slack.message(f"Your flag {ref} is resolved")).to_contain_text("Replied with the reopening date.")


def test_a_policy_question_shows_the_clause(slack: SlackPage, sandbox: RunningSandbox) -> None:
    slack.open(EMPLOYEE_2)
    slack.channel("general")
    slack.send("/policy can I post photos from the fire on my own Facebook?")
    answer = slack.message("You asked")
    expect(answer).to_contain_text("Only visible to you")
    expect(answer.locator("strong").first).to_have_text(re.compile(r"Westlock 8\.2|Taber 1\.09\(d\)"))
    expect(answer.locator("blockquote")).to_contain_text(re.compile("photos|pictures", re.IGNORECASE))
    expect(slack.step("policy")).to_have_class(re.compile("done"))
    slack.screenshot("policy-answer.png")
    answer.get_by_role("button", name="Helpful", exact=True).click()
    slack.message("noted as helpful")
    slack.be(EMPLOYEE)  # someone else does not see another person's private answer
    slack.channel("general")
    expect(slack.page.locator("#messages .message", has_text="You asked: can I post photos")).to_have_count(0)


def test_a_dm_and_a_mention_are_answered(slack: SlackPage) -> None:
    slack.open(EMPLOYEE)
    slack.app("messages")
    slack.send("who approves a new social media account?")
    expect(slack.page.locator("#messages > .message", has_text="who approves a new")).to_have_count(2)
    expect(slack.last_message()).to_contain_text("You asked: who approves a new social media account?")
    slack.channel("general")
    slack.send("@Flagpost how often must the password change?")
    asked = slack.page.locator("#messages > .message", has_text="how often must the password change")
    expect(asked.locator(".mention")).to_have_text("@Flagpost")
    expect(slack.page.locator(".thread .message").last).to_contain_text("Flagpost")


def test_the_message_shortcut_flags_a_message(slack: SlackPage) -> None:
    slack.open(EMPLOYEE_2)
    slack.channel("general")
    slack.send("Someone on https://www.facebook.com/prairiecrossing/posts/7 says the arena is closing")
    mine = slack.message("says the arena is closing")
    mine.hover()
    mine.get_by_role("button", name="More actions").click()
    slack.page.get_by_role("menuitem", name="Flag for moderators").click()
    expect(slack.modal).to_contain_text("Flag for moderators")
    expect(slack.field("Link to the post").locator("input")).to_have_value(
        "https://www.facebook.com/prairiecrossing/posts/7"
    )
    slack.fill_required()
    slack.submit()
    expect(slack.modal).to_contain_text("Flagged as")  # the bot answered response_action: update


def test_the_bots_own_field_errors_show_on_the_form(slack: SlackPage) -> None:
    slack.open(EMPLOYEE)
    slack.channel("general")
    slack.send("/flag")
    expect(slack.modal).to_contain_text("Flag for moderators")
    slack.fill("Link to the post", "not a link")
    slack.fill_required()
    slack.submit()
    expect(slack.field("Link to the post").locator(".field-error")).to_be_visible()
    expect(slack.field("Link to the post").locator("input")).to_have_value(
        "not a link"
    )  # what was typed stays
    slack.modal.get_by_role("button", name="Cancel").click()
    expect(slack.modal).to_have_count(0)


def test_escaped_text_stays_text(slack: SlackPage) -> None:
    slack.open(EMPLOYEE)
    slack.channel("general")
    slack.send("<b>not bold</b> & <script>alert(1)</script> *bold* _italic_ <https://evil.example|click>")
    mine = slack.message("not bold")
    expect(mine).to_contain_text("<b>not bold</b> & <script>alert(1)</script>")
    expect(mine).to_contain_text(
        "<https://evil.example|click>"
    )  # a bare address at most, never a disguised link
    expect(mine.locator("b, script")).to_have_count(0)
    expect(mine.get_by_role("link", name="click")).to_have_count(0)
    expect(mine.locator("strong")).to_have_text("bold")
    expect(mine.locator("em")).to_have_text("italic")


def test_app_home_shows_the_board(slack: SlackPage) -> None:
    slack.open(MODERATOR)
    slack.app("home")
    expect(slack.page.locator("#home")).to_contain_text("On the board")


def test_a_phone_sized_window(slack: SlackPage) -> None:
    slack.page.set_viewport_size({"width": 390, "height": 844})
    slack.open(EMPLOYEE)
    expect(slack.page.locator("#sidebar")).to_be_hidden()
    slack.page.locator("#toggle-sidebar").click()
    slack.channel("moderation")
    expect(slack.page.locator("#sidebar")).to_be_hidden()
    expect(slack.page.locator("#topbar-title")).to_have_text("# moderation")
    slack.page.locator("#toggle-tour").click()
    expect(slack.page.locator("#steps .step").first).to_be_visible()
    width = slack.page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the page scrolls sideways ({width}px)"


def test_the_clock_moves_forward_from_the_page(slack: SlackPage) -> None:
    slack.open(EMPLOYEE)
    before = slack.page.locator("#clock-now").inner_text()
    slack.page.locator("#clock-panel [data-minutes='1440']").click()
    expect(slack.page.locator("#clock-note")).to_contain_text("ahead of real time")
    expect(slack.page.locator("#clock-now")).not_to_have_text(before)


def test_steps_not_built_yet_are_greyed_out(slack: SlackPage, sandbox: RunningSandbox) -> None:
    slack.open(EMPLOYEE)
    for step in sandbox.tour().values():
        shown = slack.step(step["key"])
        if step["available"]:
            expect(shown).not_to_have_class(re.compile("coming"))
        else:
            expect(shown).to_contain_text(f"Coming with {step['coming_with']}")


def test_request_access_approved_by_the_director_then_the_cao(
    slack: SlackPage, sandbox: RunningSandbox
) -> None:
    require(sandbox, "request")
    slack.open(EMPLOYEE)
    slack.channel("general")
    slack.send("/request access")
    expect(slack.modal).to_be_visible()
    slack.fill_required()
    slack.submit()
    expect(slack.step("request")).to_have_class(re.compile("done"))
    expect(slack.modal).to_contain_text(re.compile(r"R-\d+"))  # the receipt replaced the form
    ref = re.search(r"R-\d+", slack.modal.inner_text()).group(0)
    slack.close_modal()
    for approver, step in ((DIRECTOR, "director"), (CAO, "cao")):
        slack.be(approver)
        slack.channel("approvals")
        card = slack.message(ref)
        expect(card.get_by_role("button", name="Approve", exact=True)).to_be_visible()
        if step == "director":
            slack.screenshot("approval-card.png")
        slack.click("Approve", ref)
        slack.confirm_if_asked()
        expect(slack.step(step)).to_have_class(re.compile("done"))
    expect(slack.message(ref)).to_contain_text("approved by @Casey CAO")


def test_an_after_hours_emergency_pages_and_is_acknowledged(
    slack: SlackPage, sandbox: RunningSandbox
) -> None:
    require(sandbox, "acknowledge")
    slack.open(EMPLOYEE)
    slack.page.locator("#clock-panel [data-to='19:00']").click()
    expect(slack.page.locator("#clock-note")).to_contain_text("after hours")
    slack.channel("general")
    slack.send("/flag")
    slack.fill("Link to the post", "https://www.facebook.com/prairiecrossing/posts/911")
    slack.choose("Priority", "Emergency")
    slack.fill_required()
    slack.submit()
    expect(slack.step("page")).to_have_class(re.compile("done"))
    slack.be(sandbox.tour()["acknowledge"]["who"]["id"])  # whoever is on call at 19:00, not before the jump
    slack.app("messages")
    slack.click("Acknowledge")
    expect(slack.step("acknowledge")).to_have_class(re.compile("done"))


# ----- the renderer, on everything Flagpost may send (not only what today's domains happen to use)


def _text(text: str) -> dict[str, str]:
    return {"type": "plain_text", "text": text}


CONFIRM = {"title": _text("Deny?"), "text": {"type": "mrkdwn", "text": "*Sure?*"}, "confirm": _text("Deny"),
           "deny": _text("Back")}  # fmt: skip
EVERY_INPUT = {
    "type": "modal",
    "blocks": [
        {"type": "header", "block_id": "h", "text": {"type": "plain_text", "text": "Request :key: access"}},
        {
            "type": "section",
            "block_id": "s",
            "text": {"type": "mrkdwn", "text": "For <@U0DIR0001>, by <!date^1795000000^{date_short}|a date>"},
            "fields": [{"type": "mrkdwn", "text": "*What*\nFacebook"}, {"type": "plain_text", "text": "a <b>"}],
            "accessory": {"type": "button", "action_id": "more", "text": {"type": "plain_text", "text": "More"}},
        },
        {"type": "divider", "block_id": "d"},
        {"type": "context", "block_id": "c", "elements": [{"type": "mrkdwn", "text": "~gone~ `code`"}]},
        {"type": "input", "block_id": "text", "label": {"type": "plain_text", "text": "Reason"},
         "element": {"type": "plain_text_input", "action_id": "v", "multiline": True, "initial_value": "why"},
         "hint": {"type": "plain_text", "text": "Say why"}},
        {"type": "input", "block_id": "url", "label": {"type": "plain_text", "text": "Link"},
         "element": {"type": "url_text_input", "action_id": "v"}},
        {"type": "input", "block_id": "date", "label": {"type": "plain_text", "text": "Until"},
         "element": {"type": "datepicker", "action_id": "v", "initial_date": "2026-12-24"}},
        {"type": "input", "block_id": "pick", "label": {"type": "plain_text", "text": "Kind"},
         "element": {"type": "static_select", "action_id": "v", "options": [
             {"text": {"type": "plain_text", "text": "Access"}, "value": "access"},
             {"text": {"type": "plain_text", "text": "Photo"}, "value": "photo"}]}},
        {"type": "input", "block_id": "who", "label": {"type": "plain_text", "text": "Director"},
         "element": {"type": "users_select", "action_id": "v", "initial_user": "U0DIR0001"}},
        {"type": "input", "block_id": "boxes", "optional": True, "label": {"type": "plain_text", "text": "Where"},
         "element": {"type": "checkboxes", "action_id": "v", "options": [
             {"text": {"type": "plain_text", "text": "Facebook"}, "value": "fb"},
             {"text": {"type": "plain_text", "text": "Instagram"}, "value": "ig"}],
             "initial_options": [{"text": {"type": "plain_text", "text": "Instagram"}, "value": "ig"}]}},
        {"type": "input", "block_id": "radio", "label": {"type": "plain_text", "text": "How long"},
         "element": {"type": "radio_buttons", "action_id": "v", "options": [
             {"text": {"type": "plain_text", "text": "A week"}, "value": "week"},
             {"text": {"type": "plain_text", "text": "A month"}, "value": "month"}]}},
        {"type": "actions", "block_id": "a", "elements": [
            {"type": "button", "action_id": "ok", "style": "primary", "text": _text("Approve")},
            {"type": "button", "action_id": "no", "style": "danger", "text": _text("Deny"), "confirm": CONFIRM}]},
        {"type": "video", "block_id": "v"},
    ],
}  # fmt: skip

RENDER = """async (view) => {
  const { renderBlocks } = await import('/sandbox/static/blockkit.js');
  const { confirmDialog } = await import('/sandbox/static/views.js');
  const got = {}; const acted = [];
  const ctx = { people: [{ id: 'U0DIR0001', name: 'Dana Director' }], channels: [], timezone: 'America/Edmonton',
    nameOf: (id) => (id === 'U0DIR0001' ? 'Dana Director' : id), channelName: (id) => id, now: () => 1795000000 };
  const surface = { errors: { url: 'Paste a link' }, register: (b, a, get) => { got[b] = get; },
    onAction: (b, element) => acted.push(element.action_id) };
  const box = renderBlocks(view.blocks, ctx, surface);
  box.id = 'rendered';
  document.body.replaceChildren(box);
  box.querySelector("[data-block-id='radio'] input[value='month']").click();
  box.querySelector("[data-block-id='pick'] select").value = 'photo';
  box.querySelector("[data-action-id='ok']").click();
  const values = Object.fromEntries(Object.entries(got).map(([b, get]) => [b, get()]));
  const denied = confirmDialog(view.blocks[11].elements[1].confirm, ctx);
  const dialog = document.querySelector('.confirm-layer').innerText;
  [...document.querySelectorAll('.confirm-layer button')].find((b) => b.textContent === 'Deny').click();
  return { values, acted, dialog, confirmed: await denied, text: box.innerText };
}"""


def test_every_block_and_input_renders(slack: SlackPage) -> None:
    slack.open(EMPLOYEE)
    result = slack.page.evaluate(RENDER, EVERY_INPUT)
    assert result["values"] == {
        "text": "why",
        "url": "",
        "date": "2026-12-24",
        "pick": "photo",
        "who": "U0DIR0001",
        "boxes": ["ig"],
        "radio": "month",
    }
    assert result["acted"] == ["ok"]
    assert result["confirmed"] is True and "Deny?" in result["dialog"] and "Back" in result["dialog"]
    text = result["text"]
    assert "Request 🔑 access" in text and "For @Dana Director, by Nov 18, 2026" in text
    assert "a <b>" in text and "Paste a link" in text and "Say why" in text and "(optional)" in text
    assert "(block video — not shown by the sandbox yet)" in text
    rendered = slack.page.locator("#rendered")
    expect(rendered.locator("s")).to_have_text("gone")
    expect(rendered.locator("code")).to_have_text("code")
    expect(rendered.locator(".btn.primary")).to_have_text("Approve")
    expect(rendered.locator(".btn.danger")).to_have_text("Deny")


MRKDWN = """async (text) => {
  const { renderMrkdwn } = await import('/sandbox/static/mrkdwn.js');
  const ctx = { timezone: 'America/Edmonton', now: () => 1795000000, nameOf: (id) => 'Name of ' + id,
    channelName: (id) => 'chan-' + id };
  const node = renderMrkdwn(text, ctx);
  document.body.replaceChildren(node);
  return { text: node.innerText, html: node.innerHTML };
}"""


@pytest.mark.parametrize(
    ("mrkdwn", "shown", "tag"),
    [
        ("&lt;script&gt;alert(1)&lt;/script&gt; &amp;amp;", "<script>alert(1)</script> &amp;", None),
        ("*bold* and _italic_ and ~struck~", "bold and italic and struck", "<strong>bold</strong>"),
        ("<https://town.ca/a?b=1&amp;c=2|the page>", "the page", 'href="https://town.ca/a?b=1&amp;c=2"'),
        ("<javascript:alert(1)|click>", "click", None),
        ("hi <@U0MOD0001> in <#C0MODERATE>", "hi @Name of U0MOD0001 in #chan-C0MODERATE", 'class="mention"'),
        ("<!date^1795000000^{date_short_pretty} at {time}|2026-11-18 08:26 UTC>", "today at", None),
        ("&gt; quoted\nnot quoted", "quoted\nnot quoted", "<blockquote>"),
        ("```\n<b>pre</b>\n```", "<b>pre</b>", "<pre>"),
        (":white_check_mark: done :no_such_emoji:", "✅ done :no_such_emoji:", None),
    ],
)
def test_mrkdwn_renders_as_slack_does(slack: SlackPage, mrkdwn: str, shown: str, tag: str | None) -> None:
    slack.open(EMPLOYEE)
    result = slack.page.evaluate(MRKDWN, mrkdwn)
    assert shown in result["text"]
    if tag:
        assert tag in result["html"]
    assert "<script" not in result["html"] and "javascript:" not in result["html"]
