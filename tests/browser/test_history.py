"""Conversations last: saved in the browser, restored on reload, listed newest first in the
history sidebar, opened, renamed, deleted with undo; without storage the page still works."""

from __future__ import annotations

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.browser.chat_page import SCREENSHOTS, answer, expect_status, send
from tests.fakes.anthropic_server import FakeAnthropic, Reply

pytestmark = pytest.mark.browser

NO_INDEXED_DB = """
Object.defineProperty(window, "indexedDB", {
  get() { throw new DOMException("The user denied access to the database.", "SecurityError"); },
});
"""


def sidebar(page: Page) -> Locator:
    return page.get_by_role("navigation", name="Conversations")


def titles(page: Page) -> Locator:
    return sidebar(page).locator(".history-open")


def reload(page: Page) -> None:
    page.reload()
    page.wait_for_selector("html[data-ready='true']")


def test_a_reload_restores_the_conversation(page: Page, fake: FakeAnthropic) -> None:
    fake.default = Reply(texts=["First ", "answer."])
    expect_status(send(page, "One"), "done")
    fake.default = Reply(texts=["Second ", "answer."])
    expect_status(send(page, "Two"), "done")

    reload(page)
    turns = page.locator(".turn")
    expect(turns).to_have_count(2)
    expect(answer(turns.nth(1))).to_have_text("Second answer.")
    expect(turns.nth(1)).to_have_attribute("data-status", "done")
    expect(page.locator("#empty")).to_be_hidden()
    # The restored conversation goes on with its history.
    expect_status(send(page, "Three"), "done")
    assert [m["role"] for m in fake.requests[-1]["messages"]] == ["user", "assistant"] * 2 + [
        "user"
    ]


def test_a_stream_the_server_no_longer_has_is_kept_as_incomplete(
    page: Page, fake: FakeAnthropic
) -> None:
    fake.default = Reply(texts=[f"tick{i} " for i in range(200)], delay_s=0.1)
    turn = send(page, "Count slowly")
    # Saved every second while it streams: past the first save, the page closes.
    expect(answer(turn)).to_contain_text("tick15")
    # The reloaded page asks for the answer again; the server has lost it (its journal expired).
    page.route(
        "**/api/chat/stream/*",
        lambda route: route.fulfill(
            status=404,
            content_type="application/json",
            body='{"error": {"code": "not_found", "message": "No such stream."}}',
        ),
    )
    reload(page)
    restored = page.locator(".turn").first
    expect(restored).to_have_attribute("data-status", "incomplete")
    expect(answer(restored)).to_contain_text("tick1")
    expect(restored.get_by_role("button", name="Regenerate", exact=True)).to_be_visible()
    expect(restored.get_by_role("button", name="Continue", exact=True)).to_be_visible()


def test_history_open_rename_delete_and_undo(page: Page, fake: FakeAnthropic) -> None:
    expect_status(send(page, "Apples are the topic"), "done")
    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".turn")).to_have_count(0)
    expect_status(send(page, "Bananas are the topic"), "done")
    expect(titles(page)).to_have_text(["Bananas are the topic", "Apples are the topic"])
    expect(titles(page).first).to_have_attribute("aria-current", "page")

    titles(page).nth(1).click()
    expect(page.locator(".bubble")).to_have_text(["Apples are the topic"])

    sidebar(page).get_by_role("button", name="Rename “Apples are the topic”").click()
    field = sidebar(page).get_by_role("textbox", name="New title")
    field.fill("Fruit")
    field.press("Enter")
    expect(titles(page)).to_contain_text(["Fruit"])
    reload(page)
    expect(titles(page)).to_contain_text(["Fruit"])
    expect(page.locator(".bubble")).to_have_text(["Apples are the topic"])

    sidebar(page).get_by_role("button", name="Delete “Bananas are the topic”").click()
    expect(titles(page)).to_have_text(["Fruit"])
    expect(page.locator("#toast")).to_contain_text("Deleted “Bananas are the topic”")
    page.get_by_role("button", name="Undo").click()
    expect(titles(page)).to_have_count(2)
    expect(titles(page)).to_contain_text(["Bananas are the topic"])

    sidebar(page).get_by_role("button", name="Delete “Fruit”").click()
    expect(page.locator(".turn")).to_have_count(0, timeout=5000)
    expect(titles(page)).to_have_text(["Bananas are the topic"])
    reload(page)
    expect(titles(page)).to_have_text(["Bananas are the topic"])


def test_the_history_is_a_drawer_on_a_narrow_screen(page: Page, fake: FakeAnthropic) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    expect_status(send(page, "A question"), "done")
    page.get_by_role("button", name="New chat").click()
    toggle = page.get_by_role("button", name="Conversations")
    expect(toggle).to_have_attribute("aria-expanded", "false")
    expect(titles(page).first).to_be_hidden()
    toggle.click()
    expect(titles(page).first).to_be_visible()
    titles(page).first.click()
    expect(titles(page).first).to_be_hidden()
    expect(page.locator(".bubble")).to_have_text(["A question"])
    # Touch-sized targets on a narrow screen.
    for name in ("Copy answer", "Regenerate", "Edit message", "New chat"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44, name


FOCUS_PLACE = """() => {
    const el = document.activeElement;
    if (el === document.body) return "body";
    if (el.id === "history-toggle") return "toggle";
    return el.closest("#history") ? "drawer" : `outside: ${el.outerHTML.slice(0, 60)}`;
}"""


def test_the_open_drawer_keeps_the_keyboard_inside(page: Page, fake: FakeAnthropic) -> None:
    page.set_viewport_size({"width": 375, "height": 740})
    expect_status(send(page, "A question"), "done")
    page.get_by_role("button", name="New chat").click()
    toggle = page.get_by_role("button", name="Conversations")
    toggle.click()
    expect(titles(page).first).to_be_focused()
    stops: list[str] = []
    for _ in range(12):  # more stops than the drawer and its toggle have
        page.keyboard.press("Tab")
        stops.append(page.evaluate(FOCUS_PLACE))
    page.keyboard.press("Shift+Tab")
    stops.append(page.evaluate(FOCUS_PLACE))
    # `body` is the browser's own stop, between the page's last stop and its first.
    assert set(stops) <= {"drawer", "body"}, stops
    assert stops.count("drawer") >= 3
    titles(page).first.focus()
    page.keyboard.press("Escape")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    # Closed, the page is whole again.
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Theme: system")).to_be_focused()
    # Deleting the last conversation from the keyboard closes the emptied drawer, and focus
    # goes back to its toggle, not to the inert page.
    toggle.click()
    page.get_by_role("button", name="Delete “A question”").focus()
    page.keyboard.press("Enter")
    expect(toggle).to_be_focused()
    expect(toggle).to_have_attribute("aria-expanded", "false")
    page.get_by_role("button", name="Undo").click()
    expect(titles(page)).to_have_text(["A question"])


def test_without_storage_the_page_works_from_memory_and_says_so(
    page: Page, fake: FakeAnthropic
) -> None:
    page.add_init_script(NO_INDEXED_DB)
    reload(page)
    expect(page.locator("#storage-notice")).to_be_visible()
    expect(page.locator("#storage-notice")).to_contain_text("not keeping conversations")
    expect_status(send(page, "Still works?"), "done")
    expect(titles(page)).to_have_text(["Still works?"])
    page.get_by_role("button", name="New chat").click()
    titles(page).first.click()
    expect(page.locator(".bubble")).to_have_text(["Still works?"])


def test_the_theme_toggle_is_remembered(page: Page) -> None:
    toggle = page.get_by_role("button", name="Theme: system")
    toggle.click()
    expect(page.locator("html")).to_have_attribute("data-theme", "light")
    page.get_by_role("button", name="Theme: light").click()
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    reload(page)
    expect(page.locator("html")).to_have_attribute("data-theme", "dark")
    expect(page.get_by_role("button", name="Theme: dark")).to_be_visible()
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(21, 22, 26)"


def test_an_answer_runs_on_while_the_user_is_in_another_conversation(
    page: Page, fake: FakeAnthropic
) -> None:
    slow = [f"word{i} " for i in range(50)] + ["The end."]
    fake.default = Reply(texts=slow, delay_s=0.04)
    first = send(page, "A slow answer")
    expect(answer(first)).to_contain_text("word3")
    streams = len(fake.streams)

    # "New chat" mid-answer: the answer goes on; coming back while it runs shows it live.
    page.get_by_role("button", name="New chat").click()
    expect(page.locator(".turn")).to_have_count(0)
    fake.default = Reply(texts=["Short."])
    expect_status(send(page, "Meanwhile"), "done")
    titles(page).filter(has_text="A slow answer").click()
    expect(page.locator(".bubble")).to_have_text(["A slow answer"])
    expect_status(page.locator(".turn").first, "done")
    expect(answer(page.locator(".turn").first)).to_have_text("".join(slow))
    assert not fake.streams[streams - 1].client_closed, "the answer was never stopped"

    # Opening another conversation mid-answer; back once it has ended, it is there, finished.
    fake.default = Reply(texts=slow, delay_s=0.02)
    page.locator(".turn").first.get_by_role("button", name="Regenerate", exact=True).click()
    expect(answer(page.locator(".turn").first)).to_contain_text("word3")
    titles(page).filter(has_text="Meanwhile").click()
    expect(page.locator(".bubble")).to_have_text(["Meanwhile"])
    expect(page.get_by_role("button", name="Send")).to_be_visible()
    assert fake.wait_for_end(len(fake.streams) - 1, timeout=15).completed
    page.wait_for_timeout(300)
    titles(page).filter(has_text="A slow answer").click()
    back = page.locator(".turn").first
    expect_status(back, "done")
    expect(answer(back)).to_have_text("".join(slow))
    expect(back.locator(".version-position")).to_have_text("2 / 2")
    reload(page)
    expect_status(page.locator(".turn").first, "done")
    expect(answer(page.locator(".turn").first)).to_have_text("".join(slow))


LONG_TITLE = "How do I stream answers through CloudFront to a phone?"
# Conversations last updated some days ago, written where the page keeps them.
AGED = """async ([days, title]) => {
  const { openStore } = await import("./js/conversation-store.js");
  const store = await openStore(undefined);
  const updatedAt = Date.now() - days * 24 * 3600 * 1000;
  const answer = { prompt: title, text: "An answer.", status: "done" };
  const turn = { id: 1, shown: 0, versions: [answer] };
  await store.put({ id: crypto.randomUUID(), title, updatedAt, turns: [turn] });
}"""


def test_history_titles_date_groups_rename_and_undo_fit_every_screen(
    page: Page, fake: FakeAnthropic
) -> None:
    expect_status(send(page, LONG_TITLE), "done")
    for days, title in ((1, "Asked yesterday"), (4, "Asked this week"), (40, "Asked long ago")):
        page.evaluate(AGED, [days, title])
    reload(page)
    groups = sidebar(page).locator(".history-group-title")
    expect(groups).to_have_text(["Today", "Yesterday", "Previous 7 days", "Older"])
    expect(titles(page)).to_have_text(
        [LONG_TITLE, "Asked yesterday", "Asked this week", "Asked long ago"]
    )

    for width, height in ((1280, 800), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        if width < 800:
            page.get_by_role("button", name="Conversations").click()
        title = titles(page).first
        expect(title).to_be_in_viewport(ratio=1)
        # The whole title shows: nothing clipped by the line limit.
        clipped = (
            "b => { const t = b.firstElementChild; return t.scrollHeight > t.clientHeight + 1; }"
        )
        assert not title.evaluate(clipped), width
        page.screenshot(path=SCREENSHOTS / f"history-titles-{width}.png")

    # On the phone, the rename box keeps its Save button inside the drawer.
    sidebar(page).get_by_role("button", name=f"Rename “{LONG_TITLE}”").click()
    field = sidebar(page).get_by_role("textbox", name="New title")
    save = sidebar(page).get_by_role("button", name="Save")
    drawer = sidebar(page).bounding_box()
    box = save.bounding_box()
    assert drawer and box and box["x"] + box["width"] <= drawer["x"] + drawer["width"]
    assert save.evaluate("b => b.scrollWidth <= b.clientWidth"), "Save is not clipped"
    assert (field.bounding_box() or {"width": 0})["width"] >= 120
    page.screenshot(path=SCREENSHOTS / "history-rename-390.png")
    field.press("Escape")

    # The Undo toast is one readable line or two, not a sliver.
    sidebar(page).get_by_role("button", name=f"Delete “{LONG_TITLE}”").click()
    toast = page.locator("#toast")
    expect(toast).to_be_visible()
    toast_box = toast.bounding_box()
    assert toast_box and toast_box["width"] >= 300 and toast_box["height"] <= 72, toast_box
    page.screenshot(path=SCREENSHOTS / "history-undo-390.png")
