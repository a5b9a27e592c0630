"""Images and PDFs through the page and `serve` to the fake Anthropic API: added by the file input,
by paste and by drop, refused by the page (by their bytes, their size, their count) and by the
function (a request sent past the page), kept with the conversation and sent again by a
regenerate or an edit, after a reload too."""

from __future__ import annotations

import base64
import json
import urllib.error
import urllib.request
from typing import Any

import pytest
from playwright.sync_api import Page, Route, expect

from tests.browser.chat_page import (
    accessible_everywhere,
    axe_violations,
    expect_status,
    send,
)
from tests.fakes.anthropic_server import FakeAnthropic
from tests.support.sample_files import EXE, b64, image_block, pdf, png
from tests.support.serve import ServeProcess

pytestmark = pytest.mark.browser

MAX_FILE_BYTES = 3 * 1024 * 1024  # serve's default, STREAM_CHAT_MAX_ATTACHMENT_BYTES
CAT = png(32, 24, (240, 160, 40))
NOTES = pdf("Meeting notes")


def file(name: str, data: bytes, mime: str = "application/octet-stream") -> dict[str, Any]:
    return {"name": name, "mimeType": mime, "buffer": data}


def attach(page: Page, *files: dict[str, Any]) -> None:
    """Choose files with "Attach files", as a person does."""
    with page.expect_file_chooser() as chooser:
        page.get_by_role("button", name="Attach files").click()
    chooser.value.set_files(list(files))


# A DataTransfer holding the files, in the page: what a paste or a drop hands over.
TRANSFER = """([files]) => {
  const transfer = new DataTransfer();
  for (const [name, type, data] of files) {
    const bytes = Uint8Array.from(atob(data), (ch) => ch.charCodeAt(0));
    transfer.items.add(new File([bytes], name, { type }));
  }
  return transfer;
}"""


def paste(page: Page, name: str, data: bytes, mime: str) -> None:
    transfer = page.evaluate_handle(TRANSFER, [[[name, mime, b64(data)]]])
    page.evaluate(
        """(clipboardData) => document.getElementById("prompt").dispatchEvent(
             new ClipboardEvent("paste", { clipboardData, bubbles: true, cancelable: true }))""",
        transfer,
    )


def drop(page: Page, name: str, data: bytes, mime: str) -> None:
    transfer = page.evaluate_handle(TRANSFER, [[[name, mime, b64(data)]]])
    page.evaluate(
        """(dataTransfer) => {
             const form = document.getElementById("composer");
             for (const type of ["dragenter", "dragover", "drop"]) {
               const init = { dataTransfer, bubbles: true, cancelable: true };
               form.dispatchEvent(new DragEvent(type, init));
             }
           }""",
        transfer,
    )


def tray(page: Page) -> Any:
    return page.get_by_role("list", name="Attached files")


def last_question(fake: FakeAnthropic) -> list[dict[str, Any]]:
    content: list[dict[str, Any]] = fake.requests[-1]["messages"][-1]["content"]
    return content


def decoded(block: dict[str, Any]) -> bytes:
    return base64.b64decode(block["source"]["data"], validate=True)


def test_an_image_and_a_pdf_chosen_with_the_file_input_reach_the_model_byte_for_byte(
    page: Page, fake: FakeAnthropic
) -> None:
    attach(page, file("cat.png", CAT, "image/png"), file("notes.pdf", NOTES, "application/pdf"))
    expect(tray(page).get_by_role("listitem")).to_have_count(2)
    expect(tray(page).locator("img.attachment-thumbnail")).to_have_attribute(
        "src", f"data:image/png;base64,{b64(CAT)}"
    )
    expect(tray(page).locator(".attachment-badge")).to_have_text("PDF")
    turn = send(page, "What do these show?")
    expect_status(turn, "done")

    image, document, text = last_question(fake)
    assert image["type"] == "image" and image["source"]["media_type"] == "image/png"
    assert decoded(image) == CAT
    assert document["type"] == "document" and document["title"] == "notes.pdf"
    assert document["source"]["media_type"] == "application/pdf" and decoded(document) == NOTES
    assert text == {"type": "text", "text": "What do these show?"}
    # The question shows its files; the composer is empty again.
    expect(turn.get_by_role("list", name="Files").get_by_role("listitem")).to_have_count(2)
    expect(turn.locator(".attachment-name")).to_have_text(["cat.png", "notes.pdf"])
    expect(tray(page)).to_be_hidden()


def test_files_pasted_and_dropped_are_attached_and_sent(page: Page, fake: FakeAnthropic) -> None:
    paste(page, "image.png", CAT, "image/png")
    paste(page, "image.png", png(8, 8), "image/png")
    drop(page, "notes.pdf", NOTES, "application/pdf")
    names = tray(page).locator(".attachment-name")
    # Two screenshots pasted under one name are told apart.
    expect(names).to_have_text(["image.png", "image (2).png", "notes.pdf"])
    page.get_by_role("button", name="Remove image (2).png").click()
    expect(names).to_have_text(["image.png", "notes.pdf"])
    expect(page.get_by_role("button", name="Remove notes.pdf")).to_be_focused()
    expect_status(send(page, "Pasted and dropped"), "done")
    image, document, _ = last_question(fake)
    assert (decoded(image), decoded(document)) == (CAT, NOTES)


def test_files_alone_make_a_message_titled_after_the_first_file(
    page: Page, fake: FakeAnthropic
) -> None:
    send_button = page.get_by_role("button", name="Send")
    expect(send_button).to_be_disabled()
    attach(page, file("cat.png", CAT, "image/png"))
    expect(send_button).to_be_enabled()
    page.press("#prompt", "Enter")
    turn = page.locator(".turn").first
    expect_status(turn, "done")

    # The question is its file alone: no text block, no empty bubble.
    assert last_question(fake) == [image_block(CAT)]
    expect(turn.locator(".attachment-name")).to_have_text(["cat.png"])
    expect(turn.locator(".bubble")).to_be_hidden()
    expect(tray(page)).to_be_hidden()
    expect(send_button).to_be_disabled()
    history = page.get_by_role("navigation", name="Conversations")
    expect(history.locator(".history-open-title")).to_have_text(["cat.png"])
    accessible_everywhere(page, "question-of-files-alone")

    # Its text can be added later: the edit sends the file again, with the text after it.
    turn.get_by_role("button", name="Edit message", exact=True).click()
    expect(turn.get_by_role("textbox", name="Edited message")).to_have_value("")
    turn.get_by_role("textbox", name="Edited message").fill("What is it?")
    turn.get_by_role("button", name="Save and send", exact=True).click()
    expect(turn.locator(".bubble")).to_have_text("What is it?")
    expect_status(turn, "done")
    assert last_question(fake) == [image_block(CAT), {"type": "text", "text": "What is it?"}]


def test_the_page_refuses_what_the_server_would_with_a_clear_message(
    page: Page, fake: FakeAnthropic
) -> None:
    message = page.locator("#attach-message")
    # Named cat.png, typed image/png: its bytes are a Windows program.
    attach(page, file("cat.png", EXE, "image/png"))
    expect(message).to_have_text(
        "“cat.png” cannot be sent: only PNG, JPEG, GIF, WebP and PDF files can."
    )
    expect(tray(page)).to_be_hidden()
    big = CAT + bytes(MAX_FILE_BYTES + 1 - len(CAT))
    attach(page, file("big.png", big, "image/png"), file("small.png", CAT, "image/png"))
    expect(message).to_have_text("“big.png” is too large: a file can be up to 3 MB.")
    expect(tray(page).locator(".attachment-name")).to_have_text(["small.png"])
    attach(page, *[file(f"{n}.png", png(4, 4), "image/png") for n in range(2, 7)])
    expect(message).to_have_text("“6.png” was not added: a message can carry 5 files.")
    expect(tray(page).get_by_role("listitem")).to_have_count(5)
    accessible_everywhere(page, "attachments-refused")
    sent = len(fake.requests)
    page.get_by_role("button", name="Remove small.png").click()
    expect(message).to_be_hidden()
    expect_status(send(page, "Four files"), "done")
    assert len(fake.requests) == sent + 1 and len(last_question(fake)) == 5


def test_the_function_refuses_files_sent_past_the_page(
    served: ServeProcess, fake: FakeAnthropic
) -> None:
    sent = len(fake.requests)
    text = {"type": "text", "text": "What is this?"}
    cases = [
        ([image_block(EXE), text], 415, "unsupported_media_type"),
        ([image_block(CAT + bytes(MAX_FILE_BYTES)), text], 413, "attachment_too_large"),
        ([image_block(CAT)] * 6 + [text], 400, "too_many_attachments"),
        (
            [{**image_block(CAT), "source": {"type": "url", "url": "https://x"}}, text],
            400,
            "invalid_attachment",
        ),
    ]
    for content, status, code in cases:
        body = {"messages": [{"role": "user", "content": content}]}
        assert post(served, body) == (status, code)
    assert len(fake.requests) == sent, "refused before the provider was called"


def post(served: ServeProcess, body: dict[str, Any]) -> tuple[int, str]:
    request = urllib.request.Request(
        served.url + "/api/chat/stream",
        data=json.dumps(body).encode(),
        headers={"content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, ""
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())["error"]["code"]


def test_the_page_shows_the_functions_refusal_of_a_file(page: Page, fake: FakeAnthropic) -> None:
    sent = len(fake.requests)

    def swap_in_a_program(route: Route) -> None:
        # Past the page's own check: the file's bytes change on the way.
        body = json.loads(route.request.post_data or "{}")
        body["messages"][-1]["content"][0]["source"]["data"] = b64(EXE)
        route.continue_(post_data=json.dumps(body))

    page.route("**/api/chat/stream", swap_in_a_program)
    attach(page, file("cat.png", CAT, "image/png"))
    turn = send(page, "Is this a cat?")
    expect_status(turn, "error")
    expect(turn.locator(".error-title")).to_have_text(
        "A file is not an image or PDF this server accepts."
    )
    expect(turn.locator(".error-detail")).to_contain_text("unsupported_media_type")
    assert len(fake.requests) == sent
    accessible_everywhere(page, "attachment-refused-by-the-server")


def test_regenerate_and_edit_send_the_files_again_after_a_reload(
    page: Page, fake: FakeAnthropic
) -> None:
    attach(page, file("cat.png", CAT, "image/png"), file("notes.pdf", NOTES, "application/pdf"))
    turn = send(page, "Describe both.")
    expect_status(turn, "done")
    first = last_question(fake)

    turn.get_by_role("button", name="Regenerate", exact=True).click()
    expect_status(turn, "done")
    assert last_question(fake) == first

    # Kept in IndexedDB with the question: a reload still has them.
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    turn = page.locator(".turn").first
    expect(turn.locator(".attachment-name")).to_have_text(["cat.png", "notes.pdf"])
    turn.get_by_role("button", name="Regenerate", exact=True).click()
    expect_status(turn, "done")
    assert last_question(fake) == first

    turn.get_by_role("button", name="Edit message", exact=True).click()
    turn.get_by_role("textbox", name="Edited message").fill("Describe both, briefly.")
    turn.get_by_role("button", name="Save and send", exact=True).click()
    expect_status(turn, "done")
    assert last_question(fake) == [*first[:2], {"type": "text", "text": "Describe both, briefly."}]
    # The edited question is a sibling of the one first asked; its answer is the first of its own.
    expect(turn.locator(".message-position")).to_have_text("2 / 2")
    expect(turn.locator(".version-position")).to_have_text("1 / 1")


# What the store holds of a question whose files found no room (attachment-quota.js decides).
NOT_KEPT = """async () => {
  const database = await new Promise((resolve, reject) => {
    const opening = indexedDB.open("stream-chat");
    opening.onsuccess = () => resolve(opening.result);
    opening.onerror = () => reject(opening.error);
  });
  const name = "conversations";
  const store = () => database.transaction(name, "readwrite").objectStore(name);
  const done = (request) =>
    new Promise((resolve) => (request.onsuccess = () => resolve(request.result)));
  const [record] = await done(store().getAll());
  const answer = record.turns[0].versions[0];
  delete answer.attachments;
  answer.attachmentsNotKept = 2;
  await done(store().put(record));
  database.close();
}"""


def test_a_question_whose_files_were_not_kept_says_so_and_keeps_its_text(
    page: Page, fake: FakeAnthropic
) -> None:
    attach(page, file("cat.png", CAT, "image/png"), file("notes.pdf", NOTES, "application/pdf"))
    expect_status(send(page, "Describe both."), "done")
    page.evaluate(NOT_KEPT)
    page.reload()
    page.wait_for_selector("html[data-ready='true']")
    turn = page.locator(".turn").first
    expect(turn.locator(".attachments-note")).to_have_text(
        "2 files were sent but not kept in this browser: its room for files is full."
    )
    expect(turn.locator(".attachment")).to_have_count(0)
    turn.get_by_role("button", name="Regenerate", exact=True).click()
    expect_status(turn, "done")
    assert last_question(fake) == [{"type": "text", "text": "Describe both."}]
    assert axe_violations(page) == []


def test_a_follow_up_question_sends_the_earlier_files_with_the_conversation(
    page: Page, fake: FakeAnthropic
) -> None:
    attach(page, file("cat.png", CAT, "image/png"))
    expect_status(send(page, "What is this?"), "done")
    expect_status(send(page, "What colour is it?"), "done")
    earlier, _, latest = fake.requests[-1]["messages"]
    assert decoded(earlier["content"][0]) == CAT
    assert latest["content"] == [{"type": "text", "text": "What colour is it?"}]


def test_a_conversation_whose_files_outgrow_one_request_is_refused_before_uploading(
    page: Page, fake: FakeAnthropic
) -> None:
    large = CAT + bytes(MAX_FILE_BYTES - 100_000)
    attach(page, file("scan.png", large, "image/png"))
    expect_status(send(page, "Read this scan."), "done")
    sent = len(fake.requests)
    # 3 MB of base64 for this one, 4 MB for the first: more than the 5 MiB a request may be.
    attach(page, file("second.png", CAT + bytes(2_300_000), "image/png"))
    turn = send(page, "And this one?")
    expect_status(turn, "error")
    expect(turn.locator(".error-title")).to_have_text(
        "This conversation, with its files, is more than the server accepts in one request. "
        "Start a new chat."
    )
    expect(turn.locator(".error-detail")).to_contain_text("request_too_large")
    assert len(fake.requests) == sent


def test_accessible_with_files_in_the_composer_and_in_the_conversation(
    page: Page, fake: FakeAnthropic
) -> None:
    attach(page, file("cat.png", CAT, "image/png"), file("notes.pdf", NOTES, "application/pdf"))
    expect(tray(page).get_by_role("listitem")).to_have_count(2)
    accessible_everywhere(page, "attachments-composer")
    expect_status(send(page, "What do these show?"), "done")
    attach(
        page, file("a-long-file-name-that-does-not-fit-on-a-narrow-screen.png", CAT, "image/png")
    )
    accessible_everywhere(page, "attachments-sent")
