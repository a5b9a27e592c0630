// @ts-check
/**
 * The keyboard shortcuts dialog: a modal `<dialog>` opened by "?" (when no text field has the
 * focus, where "?" is just a character) and by the "Keyboard shortcuts" button. Escape closes it
 * (the browser's own `cancel`), and the focus goes back to where it was.
 */

export class ShortcutsDialog {
  #dialog;
  /** @type {HTMLElement | null} */
  #returnTo = null;

  /**
   * @param {{dialog: HTMLDialogElement, open: HTMLButtonElement, close: HTMLButtonElement}} elements
   */
  constructor(elements) {
    this.#dialog = elements.dialog;
    elements.open.addEventListener("click", () => this.open());
    elements.close.addEventListener("click", () => this.#dialog.close());
    this.#dialog.addEventListener("close", () => {
      const target = this.#returnTo;
      this.#returnTo = null;
      if (target?.isConnected) target.focus();
    });
    // A click on the backdrop (outside the dialog's box) closes it too.
    this.#dialog.addEventListener("click", (event) => {
      if (event.target === this.#dialog) this.#dialog.close();
    });
    document.addEventListener("keydown", (event) => {
      if (isShortcutKey(event) && !typing(event.target) && !this.#dialog.open) {
        event.preventDefault();
        this.open();
      }
    });
  }

  open() {
    if (this.#dialog.open) return;
    const focused = document.activeElement;
    this.#returnTo = focused instanceof HTMLElement ? focused : null;
    this.#dialog.showModal();
  }
}

/** @param {KeyboardEvent} event */
function isShortcutKey(event) {
  return event.key === "?" && !event.ctrlKey && !event.metaKey && !event.altKey;
}

/**
 * Whether a key typed at `target` is text: a text field's own "?".
 * @param {EventTarget | null} target
 */
export function typing(target) {
  if (!(target instanceof HTMLElement)) return false;
  if (target.isContentEditable || target instanceof HTMLTextAreaElement) return true;
  if (target instanceof HTMLSelectElement) return true;
  return target instanceof HTMLInputElement && !NON_TEXT_INPUTS.includes(target.type);
}

const NON_TEXT_INPUTS = ["button", "checkbox", "radio", "submit", "reset", "file", "range", "color"];
