// @ts-check
/**
 * Room for files in this browser: the files kept with every conversation together may take up to
 * a cap. A question asked once they would pass it keeps its text, and its files are sent (and
 * sent again by a regenerate while the page stays open) but not stored. The store's conversations
 * are read once each, and again only when their update time changes.
 */

/**
 * @typedef {import("./conversation.js").Turn} Turn
 * @typedef {import("./conversation.js").Attachment} Attachment
 * @typedef {import("./conversation-store.js").ConversationStore} ConversationStore
 */

export const STORED_ATTACHMENTS_CAP_BYTES = 50 * 1024 * 1024;

export class AttachmentQuota {
  #cap;
  /** @type {Map<string, {updatedAt: number, bytes: number}>} */
  #stored = new Map();

  /** @param {number} [cap]  bytes the kept files of all conversations may take */
  constructor(cap = STORED_ATTACHMENTS_CAP_BYTES) {
    this.#cap = cap;
  }

  get cap() {
    return this.#cap;
  }

  /**
   * Whether `adding` fits beside the files already kept: those of every stored conversation but
   * the open one, and the open one's as they are now.
   * @param {ConversationStore} store
   * @param {{id: string, turns: Turn[]}} open
   * @param {readonly Attachment[]} adding
   */
  async hasRoom(store, open, adding) {
    const others = await this.#storedBytes(store, open.id);
    const added = adding.reduce((sum, file) => sum + file.size, 0);
    return others + keptBytes(open.turns) + added <= this.#cap;
  }

  /**
   * @param {ConversationStore} store
   * @param {string} except
   */
  async #storedBytes(store, except) {
    let total = 0;
    for (const { id, updatedAt } of await store.list()) {
      if (id === except) continue;
      let known = this.#stored.get(id);
      if (known?.updatedAt !== updatedAt) {
        const record = await store.get(id);
        known = { updatedAt, bytes: record ? keptBytes(record.turns) : 0 };
        this.#stored.set(id, known);
      }
      total += known.bytes;
    }
    return total;
  }
}

/**
 * The bytes of the files kept with these turns, every branch included; a file shared by the
 * versions of a question (a regenerate sends the same) counts once.
 * @param {readonly Turn[]} turns
 */
export function keptBytes(turns) {
  /** @type {Set<Blob>} */
  const seen = new Set();
  let bytes = 0;
  const visit = (/** @type {readonly Turn[]} */ branch) => {
    for (const answer of branch.flatMap((turn) => turn.versions)) {
      for (const file of answer.attachmentsNotKept ? [] : (answer.attachments ?? [])) {
        if (!seen.has(file.data)) bytes += file.size;
        seen.add(file.data);
      }
      visit(answer.later ?? []);
    }
  };
  visit(turns);
  return bytes;
}
