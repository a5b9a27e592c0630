// @ts-check
/**
 * The messages waiting for the answer to end (message-queue.js), under the conversation: each
 * marked "Queued", with how many files it carries ("1 file"), and "Edit queued message" and
 * "Remove queued message" (the editor changes its text only). Text goes in as `textContent` only.
 */
import { element } from "./turn-view.js";

/**
 * @typedef {import("./message-queue.js").MessageQueue} MessageQueue
 * @typedef {import("./message-queue.js").QueuedMessage} QueuedMessage
 */

export class QueueView {
  #list;
  #onChange;
  #onDone;
  /** @type {MessageQueue | undefined} */
  #queue;
  /** @type {Map<number, HTMLLIElement>} */
  #rows = new Map();

  /**
   * @param {HTMLOListElement} list  emptied, then owned by this view
   * @param {{onChange: () => void, onDone: () => void}} handlers  `onChange` after each render
   *   (the log may have grown); `onDone` when a message left the list and focus has nowhere
   *   better to go (the message box takes it)
   */
  constructor(list, handlers) {
    this.#list = list;
    this.#onChange = handlers.onChange;
    this.#onDone = handlers.onDone;
  }

  /** @param {MessageQueue} queue  the open conversation's; call `render` after every change */
  show(queue) {
    if (queue === this.#queue) return;
    this.#queue = queue;
    this.#rows.clear();
    this.#list.replaceChildren();
    this.render();
  }

  /**
   * Rows change in place: one being edited keeps its text field, its caret and the focus while
   * others come and go (messages are only ever added at the end, so the order holds).
   */
  render() {
    const items = this.#queue?.items ?? [];
    const wanted = new Set(items.map((item) => item.id));
    for (const [id, row] of this.#rows) {
      if (wanted.has(id)) continue;
      row.remove();
      this.#rows.delete(id);
    }
    for (const item of items) {
      const key = `${item.editing}:${item.text}`;
      const row = this.#rows.get(item.id);
      if (row?.dataset.key === key) continue;
      const made = this.#row(item);
      made.dataset.key = key;
      if (row) row.replaceWith(made);
      else this.#list.append(made);
      this.#rows.set(item.id, made);
    }
    this.#list.hidden = items.length === 0;
    this.#onChange();
  }

  /** @param {QueuedMessage} item */
  #row(item) {
    const row = element("li", "queued");
    row.dataset.id = String(item.id);
    row.append(element("span", "queued-label", "Queued"));
    const count = item.attachments.length;
    if (count > 0) {
      row.append(element("span", "queued-files", count === 1 ? "1 file" : `${count} files`));
    }
    if (item.editing) {
      row.append(this.#editor(item));
      return row;
    }
    const edit = button("Edit", "Edit queued message");
    const remove = button("Remove", "Remove queued message");
    edit.addEventListener("click", () => {
      this.#queue?.setEditing(item.id, true);
      this.render();
      const field = this.#list.querySelector(`[data-id="${item.id}"] textarea`);
      if (field instanceof HTMLTextAreaElement) field.focus();
    });
    remove.addEventListener("click", () => {
      this.#queue?.remove(item.id);
      this.render();
      this.#onDone();
    });
    const actions = element("div", "queued-actions");
    actions.append(edit, remove);
    // A message of files alone has no text to show.
    if (item.text) row.append(element("p", "queued-text", item.text));
    row.append(actions);
    return row;
  }

  /** @param {QueuedMessage} item */
  #editor(item) {
    const form = element("form", "edit-form");
    const field = element("textarea", "edit-field");
    field.value = item.text;
    field.rows = Math.min(6, item.text.split("\n").length + 1);
    field.setAttribute("aria-label", "Queued message");
    const cancel = button("Cancel");
    const save = button("Save", undefined, "submit");
    const buttons = element("div", "edit-actions");
    buttons.append(cancel, save);
    form.append(field, buttons);
    const close = (/** @type {string | undefined} */ text) => {
      if (text === undefined) this.#queue?.setEditing(item.id, false);
      else this.#queue?.edit(item.id, text);
      this.render();
      const again = this.#list.querySelector(`[data-id="${item.id}"] button`);
      if (again instanceof HTMLButtonElement) again.focus();
      else this.#onDone();
    };
    cancel.addEventListener("click", () => close(undefined));
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        // Escape here leaves the editor; it must not also stop the answer.
        event.stopPropagation();
        close(undefined);
      } else if (event.key === "Enter" && !event.shiftKey && !event.isComposing) {
        event.preventDefault();
        form.requestSubmit();
      }
    });
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      close(field.value);
    });
    return form;
  }
}

/**
 * @param {string} text
 * @param {string} [label]  the accessible name, when the visible text alone is ambiguous
 * @param {"button" | "submit"} [type]
 */
function button(text, label, type = "button") {
  const made = element("button", "button button-small button-ghost", text);
  made.type = type;
  if (label) made.setAttribute("aria-label", label);
  return made;
}
