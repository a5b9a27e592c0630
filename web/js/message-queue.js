// @ts-check
/**
 * Messages typed while an answer streams: they wait, in order, and the next one is sent when the
 * answer ends. Each keeps the files it was queued with. Until then its text can be edited, or it
 * can be removed (its files with it). Pure state, no DOM (queue-view.js shows it).
 */

/**
 * @typedef {import("./conversation.js").Attachment} Attachment
 * @typedef {{text: string, attachments: Attachment[]}} Message
 * @typedef {Message & {id: number, editing: boolean}} QueuedMessage
 */

export class MessageQueue {
  /** @type {QueuedMessage[]} */
  items = [];
  #nextId = 1;

  /**
   * @param {string} text
   * @param {Attachment[]} [attachments]  taken from the composer with the text
   * @returns {QueuedMessage}
   */
  add(text, attachments = []) {
    const item = { id: this.#nextId++, text, attachments: [...attachments], editing: false };
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
   * The edited text replaces the message's; its files stay. An emptied message is removed,
   * unless it has files: those alone can be sent.
   * @param {number} id
   * @param {string} text
   */
  edit(id, text) {
    const item = this.#find(id);
    if (!item) return;
    const trimmed = text.trim();
    if (!trimmed && item.attachments.length === 0) {
      this.remove(id);
      return;
    }
    item.text = trimmed;
    item.editing = false;
  }

  /**
   * The next message to send, taken out of the queue: the first one not being edited.
   * @returns {Message | undefined}
   */
  take() {
    const item = this.items.find((candidate) => !candidate.editing);
    if (!item) return undefined;
    this.remove(item.id);
    return { text: item.text, attachments: item.attachments };
  }

  /** @param {number} id */
  #find(id) {
    return this.items.find((item) => item.id === id);
  }
}
