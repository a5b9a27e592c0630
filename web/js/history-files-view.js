// @ts-check
/**
 * The sidebar's files: the open conversation as Markdown or JSON, the whole history as one JSON
 * file, and an import of such a file. An import adds only conversations whose id is new, and
 * writes nothing unless the whole file is valid; what it did (or why it refused) is said in a
 * status line.
 */
import { conversationMarkdown, fileName, historyFile } from "./history-export.js";
import { importMessage, parseHistory, planImport, storable } from "./history-import.js";

/**
 * @typedef {import("./conversation.js").ConversationRecord} ConversationRecord
 * @typedef {import("./conversation-store.js").ConversationStore} ConversationStore
 *
 * @typedef {object} FilesSource
 * @property {() => ConversationRecord | undefined} conversation  the open one, when it has turns
 * @property {() => ConversationStore} store
 * @property {() => Promise<void>} onImported  the history changed
 */

const JSON_TYPE = "application/json";
const REVOKE_AFTER_MS = 60_000;

export class HistoryFiles {
  #group;
  #message;
  #file;
  #source;

  /**
   * @param {{group: HTMLElement, markdown: HTMLButtonElement, json: HTMLButtonElement,
   *   exportAll: HTMLButtonElement, importButton: HTMLButtonElement, file: HTMLInputElement,
   *   message: HTMLElement}} elements  `group`: the open conversation's buttons
   * @param {FilesSource} source
   */
  constructor(elements, source) {
    this.#group = elements.group;
    this.#message = elements.message;
    this.#file = elements.file;
    this.#source = source;
    elements.markdown.addEventListener("click", () => void this.#exportOpen("md"));
    elements.json.addEventListener("click", () => void this.#exportOpen("json"));
    elements.exportAll.addEventListener("click", () => void this.#exportAll());
    elements.importButton.addEventListener("click", () => this.#file.click());
    this.#file.addEventListener("change", () => void this.#import());
  }

  /** @param {boolean} open  a conversation with turns is open */
  update(open) {
    this.#group.hidden = !open;
  }

  /** @param {"md" | "json"} kind */
  async #exportOpen(kind) {
    const record = this.#source.conversation();
    if (!record) return;
    if (kind === "md") {
      download(fileName(record.title, "md"), "text/markdown", conversationMarkdown(record));
    } else {
      download(fileName(record.title, "json"), JSON_TYPE, await historyFile([record]));
    }
  }

  async #exportAll() {
    const records = await this.#source.store().all();
    const day = new Date().toISOString().slice(0, 10);
    download(`stream-chat-history-${day}.json`, JSON_TYPE, await historyFile(records));
    const count = records.length === 1 ? "1 conversation" : `${records.length} conversations`;
    this.#say(`Exported ${count}.`);
  }

  async #import() {
    const chosen = this.#file.files?.[0];
    // The same file may be chosen again: a change event needs an emptied input.
    this.#file.value = "";
    if (!chosen) return;
    const parsed = parseHistory(await chosen.text());
    if (!parsed.ok) {
      this.#say(parsed.message, true);
      return;
    }
    const store = this.#source.store();
    const kept = (await store.list()).map((summary) => summary.id);
    const { add, skipped } = planImport(parsed.records, kept);
    let added = 0;
    let already = skipped;
    for (const record of add) {
      // Listed or not (an empty conversation is not listed), a kept id is never overwritten.
      if (await store.get(record.id)) already += 1;
      else {
        await store.put(await storable(record));
        added += 1;
      }
    }
    await this.#source.onImported();
    this.#say(importMessage(added, already));
  }

  /**
   * @param {string} text
   * @param {boolean} [refused]
   */
  #say(text, refused = false) {
    this.#message.textContent = text;
    this.#message.classList.toggle("refused", refused);
  }
}

/**
 * Save `text` as a file named `name`, through a link to a Blob.
 * @param {string} name
 * @param {string} type
 * @param {string} text
 */
function download(name, type, text) {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = document.createElement("a");
  link.href = url;
  link.download = name;
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), REVOKE_AFTER_MS);
}
