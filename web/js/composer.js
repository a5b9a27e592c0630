// @ts-check
/**
 * The message box: Enter sends, Shift+Enter inserts a newline, and the box grows with its text.
 * A message is its text or the files attached to it (attachment-tray.js): either alone will do.
 */

// Grow up to this many pixels, then scroll inside the box.
const MAX_HEIGHT_PX = 200;

export class Composer {
  #form;
  #input;
  #send;
  #hasFiles;

  /**
   * @param {HTMLFormElement} form
   * @param {HTMLTextAreaElement} input
   * @param {HTMLButtonElement} send
   * @param {(text: string) => void} onSend  the text, trimmed: empty when files alone are sent
   * @param {() => boolean} [hasFiles]  whether files are attached; call `filesChanged` when that
   *   may have changed
   */
  constructor(form, input, send, onSend, hasFiles = () => false) {
    this.#form = form;
    this.#input = input;
    this.#send = send;
    this.#hasFiles = hasFiles;
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      const text = input.value.trim();
      // While an answer streams this queues the message (main.js): it never cuts the answer off.
      if (!text && !hasFiles()) return;
      this.clear();
      onSend(text);
    });
    input.addEventListener("keydown", (event) => {
      // While an input method composes (CJK), Enter confirms the composition; it must not send.
      if (event.key !== "Enter" || event.shiftKey || event.isComposing) return;
      event.preventDefault();
      this.#form.requestSubmit();
    });
    input.addEventListener("input", () => this.#update());
    this.#update();
  }

  focus() {
    this.#input.focus();
  }

  /** @param {string} text */
  fill(text) {
    this.#input.value = text;
    this.#update();
  }

  clear() {
    this.fill("");
  }

  /** Files were attached or removed: Send follows. */
  filesChanged() {
    this.#update();
  }

  #update() {
    this.#send.disabled = this.#input.value.trim() === "" && !this.#hasFiles();
    // Measure from the minimum so the box can shrink as well as grow.
    this.#input.style.height = "auto";
    this.#input.style.height = `${Math.min(this.#input.scrollHeight, MAX_HEIGHT_PX)}px`;
  }
}
