// @ts-check
/**
 * The "Search conversations" box above the history list. Its index (history-search.js) is built
 * from the store the first time a query is typed, then kept up to date with each change of the
 * history, so a keystroke only runs the match in memory: never a read of the store.
 */
import { indexEntry, search } from "./history-search.js";

/**
 * @typedef {import("./conversation-store.js").ConversationStore} ConversationStore
 * @typedef {import("./conversation-store.js").ConversationSummary} ConversationSummary
 * @typedef {import("./history-search.js").IndexEntry} IndexEntry
 * @typedef {import("./history-search.js").SearchMatch} SearchMatch
 * @typedef {import("./history-search.js").Marked} Marked
 */

// Above this many changed conversations, one read of them all beats a read of each.
const READ_ALL_ABOVE = 10;
// The first letters of a query match most of a history: drawing 500 items at each keystroke
// would take more time than matching them. The newest this many are shown, then "Show all".
const SHOWN_AT_FIRST = 100;

export class HistorySearch {
  #field;
  #status;
  #more;
  #limit = SHOWN_AT_FIRST;
  /** @type {Map<string, IndexEntry>} */
  #index = new Map();
  #built = false;

  /**
   * @param {{field: HTMLInputElement, status: HTMLElement, more: HTMLButtonElement}} elements
   *   `more`: shows every match when only the first are
   * @param {() => void} onQuery  the query changed: draw the list again
   */
  constructor(elements, onQuery) {
    this.#field = elements.field;
    this.#status = elements.status;
    this.#more = elements.more;
    this.#field.addEventListener("input", () => {
      this.#limit = SHOWN_AT_FIRST;
      onQuery();
    });
    this.#more.addEventListener("click", () => {
      this.#limit = Infinity;
      onQuery();
      this.#field.focus();
    });
    this.#field.addEventListener("keydown", (event) => {
      // Escape empties the box first; an empty box lets it close the drawer.
      if (event.key !== "Escape" || this.#field.value === "") return;
      event.stopPropagation();
      event.preventDefault();
      this.#field.value = "";
      this.#limit = SHOWN_AT_FIRST;
      onQuery();
    });
  }

  get query() {
    return this.#field.value.trim();
  }

  /** Whether the index holds what it needs to answer the current query without reading. */
  get ready() {
    return this.#built || this.query === "";
  }

  /**
   * Bring the index up to date with the history (once a query has been typed: until then it
   * costs nothing). A conversation is read again when its time or title changed.
   * @param {ConversationStore} store
   * @param {ConversationSummary[]} summaries
   */
  async sync(store, summaries) {
    if (!this.#built && this.query === "") return;
    const stale = summaries.filter((summary) => {
      const entry = this.#index.get(summary.id);
      return !entry || entry.updatedAt !== summary.updatedAt || entry.title !== summary.title;
    });
    const records =
      stale.length > READ_ALL_ABOVE
        ? await store.all()
        : await Promise.all(stale.map((summary) => store.get(summary.id)));
    for (const record of records) if (record) this.#index.set(record.id, indexEntry(record));
    const listed = new Set(summaries.map((summary) => summary.id));
    for (const id of this.#index.keys()) if (!listed.has(id)) this.#index.delete(id);
    this.#built = true;
  }

  /**
   * The conversations to list for the current query, and how each matched (none without one).
   * @param {ConversationSummary[]} summaries  newest first
   * @returns {{shown: ConversationSummary[], matches: Map<string, SearchMatch> | undefined}}
   */
  filter(summaries) {
    const query = this.query;
    if (query === "") {
      this.#status.textContent = "";
      this.#more.hidden = true;
      return { shown: summaries, matches: undefined };
    }
    const entries = summaries.flatMap((summary) => this.#index.get(summary.id) ?? []);
    const all = search(entries, query);
    const matches = new Map(all.slice(0, this.#limit).map((found) => [found.id, found]));
    this.#status.textContent = found(all.length, matches.size, query);
    this.#more.hidden = matches.size === all.length;
    this.#more.textContent = `Show all ${all.length}`;
    return { shown: summaries.filter((summary) => matches.has(summary.id)), matches };
  }
}

/**
 * @param {number} count  how many match
 * @param {number} shown  how many of them are listed
 * @param {string} query
 */
function found(count, shown, query) {
  if (count === 0) return `No conversations match “${query}”.`;
  if (count === 1) return "1 conversation found.";
  const newest = shown < count ? ` The ${shown} most recent are shown.` : "";
  return `${count} conversations found.${newest}`;
}

/**
 * A span of `marked`'s text with each match in a `<mark>`, built as text nodes.
 * @param {string} className
 * @param {Marked} marked
 */
export function markedText(className, marked) {
  const span = document.createElement("span");
  span.className = className;
  let at = 0;
  for (const [start, end] of marked.ranges) {
    span.append(marked.text.slice(at, start));
    const mark = document.createElement("mark");
    mark.textContent = marked.text.slice(start, end);
    span.append(mark);
    at = end;
  }
  span.append(marked.text.slice(at));
  return span;
}
