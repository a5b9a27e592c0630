// @ts-check
/**
 * Where conversations last: IndexedDB, one database per signed-in user (or one for the page
 * without sign-in). When the browser refuses storage (private mode, quota, a blocked profile) the
 * page keeps working from memory and says so; no storage failure ever reaches the user as an
 * exception.
 */

/**
 * @typedef {import("./conversation.js").ConversationRecord} ConversationRecord
 * @typedef {{id: string, title: string, updatedAt: number}} ConversationSummary
 *
 * @typedef {object} ConversationStore
 * @property {string | undefined} notice  set once the store has fallen back to memory
 * @property {() => Promise<ConversationSummary[]>} list  newest first
 * @property {() => Promise<ConversationRecord[]>} all  every listed conversation, whole, newest
 *   first: for the search index and the export
 * @property {(id: string) => Promise<ConversationRecord | undefined>} get
 * @property {(record: ConversationRecord) => Promise<void>} put
 * @property {(id: string) => Promise<void>} delete
 */

const STORE = "conversations";
const VERSION = 1;
export const MEMORY_NOTICE =
  "This browser is not keeping conversations (private mode or no storage space): they last " +
  "until the page is closed.";

/**
 * @param {string} [owner]  the signed-in user's id; conversations are kept per user
 * @param {() => IDBFactory | undefined} [factory]  reading `indexedDB` itself may throw
 * @returns {Promise<ConversationStore>}
 */
export async function openStore(owner, factory = () => globalThis.indexedDB) {
  const name = owner ? `stream-chat:${owner}` : "stream-chat";
  try {
    const indexedDB = factory();
    if (!indexedDB) throw new Error("no IndexedDB");
    const opening = indexedDB.open(name, VERSION);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE, { keyPath: "id" });
    const database = await request(opening);
    return new IndexedDbStore(database);
  } catch (error) {
    console.warn("conversations are kept in memory only", error);
    return new MemoryStore(MEMORY_NOTICE);
  }
}

/** @implements {ConversationStore} */
export class MemoryStore {
  /** @type {Map<string, ConversationRecord>} */
  #records = new Map();
  notice;

  /** @param {string} [notice] */
  constructor(notice) {
    this.notice = notice;
  }

  async list() {
    return summaries([...this.#records.values()]);
  }

  async all() {
    return listed([...this.#records.values()]).map((record) => structuredClone(record));
  }

  /** @param {string} id */
  async get(id) {
    const record = this.#records.get(id);
    return record && structuredClone(record);
  }

  /** @param {ConversationRecord} record */
  async put(record) {
    this.#records.set(record.id, structuredClone(record));
  }

  /** @param {string} id */
  async delete(id) {
    this.#records.delete(id);
  }
}

/** @implements {ConversationStore} */
class IndexedDbStore {
  #database;
  /** @type {MemoryStore | undefined} a write failed: memory from then on */
  #fallback = undefined;

  /** @param {IDBDatabase} database */
  constructor(database) {
    this.#database = database;
  }

  get notice() {
    return this.#fallback?.notice;
  }

  async list() {
    if (this.#fallback) return this.#fallback.list();
    const all = await this.#guard(() => request(this.#store("readonly").getAll()));
    return all === undefined ? [] : summaries(all);
  }

  async all() {
    if (this.#fallback) return this.#fallback.all();
    const all = await this.#guard(() => request(this.#store("readonly").getAll()));
    return all === undefined ? [] : listed(all);
  }

  /** @param {string} id */
  async get(id) {
    if (this.#fallback) return this.#fallback.get(id);
    return this.#guard(() => request(this.#store("readonly").get(id)));
  }

  /** @param {ConversationRecord} record */
  async put(record) {
    if (this.#fallback) return this.#fallback.put(record);
    await this.#guard(() => request(this.#store("readwrite").put(record)), record);
  }

  /** @param {string} id */
  async delete(id) {
    if (this.#fallback) return this.#fallback.delete(id);
    await this.#guard(() => request(this.#store("readwrite").delete(id)));
  }

  /** @param {IDBTransactionMode} mode */
  #store(mode) {
    return this.#database.transaction(STORE, mode).objectStore(STORE);
  }

  /**
   * @template T
   * @param {() => Promise<T>} action
   * @param {ConversationRecord} [record]  kept in memory when writing it failed
   * @returns {Promise<T | undefined>}
   */
  async #guard(action, record) {
    try {
      return await action();
    } catch (error) {
      console.warn("storage failed; conversations are kept in memory from now on", error);
      this.#fallback = new MemoryStore(MEMORY_NOTICE);
      if (record) await this.#fallback.put(record);
      return undefined;
    }
  }
}

/**
 * @param {ConversationRecord[]} records
 * @returns {ConversationSummary[]}
 */
function summaries(records) {
  return listed(records).map(({ id, title, updatedAt }) => ({ id, title, updatedAt }));
}

/**
 * The records the history lists (an empty conversation is not one), newest first.
 * @param {ConversationRecord[]} records
 */
function listed(records) {
  return records
    .filter((record) => record.turns.length > 0)
    .sort((a, b) => b.updatedAt - a.updatedAt);
}

/**
 * @template T
 * @param {IDBRequest<T>} pending
 * @returns {Promise<T>}
 */
function request(pending) {
  return new Promise((resolve, reject) => {
    pending.onsuccess = () => resolve(pending.result);
    pending.onerror = () => reject(pending.error);
  });
}
