// The message box: Send is on, and Enter sends, when there is text or at least one file.
import assert from "node:assert/strict";
import { test } from "node:test";

import { Composer } from "../../web/js/composer.js";

/** Just enough of the form, its text box and its Send button for the composer. */
function composerWith(/** @type {{files: number}} */ tray) {
  const form = Object.assign(new EventTarget(), {
    requestSubmit() {
      form.dispatchEvent(new Event("submit", { cancelable: true }));
    },
  });
  const input = Object.assign(new EventTarget(), { value: "", style: {}, scrollHeight: 40 });
  const send = { disabled: false };
  /** @type {string[]} */
  const sent = [];
  const composer = new Composer(
    /** @type {any} */ (form),
    /** @type {any} */ (input),
    /** @type {any} */ (send),
    (text) => sent.push(text),
    () => tray.files > 0,
  );
  const type = (/** @type {string} */ text) => {
    input.value = text;
    input.dispatchEvent(new Event("input"));
  };
  const enter = () => {
    const event = Object.assign(new Event("keydown", { cancelable: true }), { key: "Enter" });
    input.dispatchEvent(event);
  };
  return { composer, input, send, sent, type, enter };
}

test("with neither text nor files, Send is off and Enter sends nothing", () => {
  const { send, sent, type, enter } = composerWith({ files: 0 });
  assert.equal(send.disabled, true);
  type("   \n ");
  enter();
  assert.equal(send.disabled, true);
  assert.deepEqual(sent, []);
});

test("files alone turn Send on, and Enter sends an empty text", () => {
  const tray = { files: 0 };
  const { composer, send, sent, enter } = composerWith(tray);
  tray.files = 1;
  composer.filesChanged();
  assert.equal(send.disabled, false);
  enter();
  assert.deepEqual(sent, [""]);
  // The files went with it: the tray says so, and Send is off again.
  tray.files = 0;
  composer.filesChanged();
  assert.equal(send.disabled, true);
});

test("text is sent trimmed, with or without files, and the box is emptied", () => {
  const tray = { files: 0 };
  const { composer, input, send, sent, type, enter } = composerWith(tray);
  type("  hello \n");
  assert.equal(send.disabled, false);
  enter();
  tray.files = 2;
  composer.filesChanged();
  type("with files");
  enter();
  assert.deepEqual(sent, ["hello", "with files"]);
  assert.equal(input.value, "");
});
