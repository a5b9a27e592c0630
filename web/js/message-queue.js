// @ts-check
/**
 * Messages typed while an answer streams: they wait, in order, and the next one is sent when the
 * answer ends. Until then each can be edited or removed. Pure state, no DOM (queue-view.js shows
 * it).
 */

/** @typedef {{id: number, text: string, editing: boolean}} QueuedMessage */

export class MessageQueue {
  /** @type {QueuedMessage[]} */
  items = [];
  #nextId = 1;

  /**
   * @param {string} text
   * @returns {QueuedMessage}
   */
  add(text) {
    const item = { id: this.#nextId++, text, editing: false };
    this.items.push(item);
    return item;
  }

  /** @param {number} id */
  remove(id) {
    this.items = this.items.filter((item) => item.id !== id);
  }

  /**
   * Open or close the editor of message `id`: a message being edited is not sent.
   * @param {number} id
   * @param {boolean} editing
   */
  setEditing(id, editing) {
    const item = this.#find(id);
    if (item) item.editing = editing;
  }

  /**
   * The edited text replaces the message; an emptied message is removed.
   * @param {number} id
   * @param {string} text
   */
  edit(id, text) {
    const item = this.#find(id);
    if (!item) return;
    const trimmed = text.trim();
    if (!trimmed) {
      this.remove(id);
      return;
    }
    item.text = trimmed;
    item.editing = false;
  }

  /**
   * The next message to send, taken out of the queue: the first one not being edited.
   * @returns {string | undefined}
   */
  take() {
    const item = this.items.find((candidate) => !candidate.editing);
    if (!item) return undefined;
    this.remove(item.id);
    return item.text;
  }

  /** @param {number} id */
  #find(id) {
    return this.items.find((item) => item.id === id);
  }
}
