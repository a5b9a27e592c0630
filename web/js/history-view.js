// @ts-check
/**
 * The history sidebar: saved conversations, newest first under date headings (Today, Yesterday,
 * Previous 7 days, Older), each to open, rename or delete. On a
 * narrow screen it is a drawer the top bar's "Conversations" button opens, modal while open:
 * the page it covers is inert, so Tab stays in the list; Escape or a tap beside it closes it.
 */

import { groupByDate } from "./history-groups.js";
import { markedText } from "./history-search-view.js";

/**
 * @typedef {import("./conversation-store.js").ConversationSummary} ConversationSummary
 * @typedef {import("./history-search.js").SearchMatch} SearchMatch
 */

const NARROW = window.matchMedia("(max-width: 800px)");

/**
 * @typedef {object} HistoryHandlers
 * @property {(id: string) => void} onOpen
 * @property {(id: string, title: string) => void} onRename
 * @property {(id: string) => void} onDelete
 */

export class HistoryView {
  #nav;
  #list;
  #empty;
  #toggle;
  /** @type {HTMLElement[]} */
  #outside;
  #handlers;
  /** @type {string | undefined} */
  #focusAfterRender = undefined;
  #drawn = "";

  /**
   * @param {{nav: HTMLElement, list: HTMLUListElement, empty: HTMLElement,
   *   toggle: HTMLButtonElement, scrim: HTMLElement, outside: HTMLElement[]}} elements
   *   `outside`: what the open drawer covers
   * @param {HistoryHandlers} handlers
   */
  constructor(elements, handlers) {
    this.#nav = elements.nav;
    this.#list = elements.list;
    this.#empty = elements.empty;
    this.#toggle = elements.toggle;
    this.#outside = elements.outside;
    this.#handlers = handlers;
    this.#toggle.addEventListener("click", () => this.setOpen(!this.isOpen));
    elements.scrim.addEventListener("click", () => this.setOpen(false));
    this.#nav.addEventListener("keydown", (event) => {
      if (event.key === "Escape" && NARROW.matches && this.isOpen) {
        event.stopPropagation();
        this.setOpen(false);
        this.#toggle.focus();
      }
    });
    // A resize across the breakpoint moves the drawer at once; only a toggle slides it.
    NARROW.addEventListener("change", () => this.setOpen(false, false));
    this.setOpen(false, false);
  }

  get isOpen() {
    return this.#toggle.getAttribute("aria-expanded") === "true";
  }

  /**
   * @param {boolean} open  the drawer, on narrow screens; wide screens always show the list
   * @param {boolean} [slide]
   */
  setOpen(open, slide = true) {
    document.documentElement.classList.toggle("drawer-slides", slide);
    this.#toggle.setAttribute("aria-expanded", String(open));
    document.documentElement.classList.toggle("drawer-open", open);
    const modal = open && NARROW.matches;
    for (const element of this.#outside) element.inert = modal;
    if (open) this.#nav.querySelector("button")?.focus();
  }

  /**
   * @param {ConversationSummary[]} conversations
   * @param {string} currentId
   * @param {Map<string, SearchMatch>} [matches]  while searching: how each one listed matched
   */
  render(conversations, currentId, matches) {
    const groups = groupByDate(conversations, Date.now());
    // Saved every second while an answer streams: only a list that changed is redrawn.
    const drawn = JSON.stringify([
      currentId,
      groups.map((group) => [group.label, group.items.map((c) => [c.id, c.title])]),
      matches && [...matches.values()],
    ]);
    if (drawn === this.#drawn && this.#focusAfterRender === undefined) return;
    this.#drawn = drawn;
    const focused = this.#nav.contains(document.activeElement)
      ? document.activeElement?.getAttribute("data-focus-key")
      : undefined;
    this.#empty.hidden = conversations.length > 0 || matches !== undefined;
    this.#list.replaceChildren(...groups.map((group) => this.#group(group, currentId, matches)));
    const key = this.#focusAfterRender ?? focused;
    this.#focusAfterRender = undefined;
    if (key) {
      const target = this.#list.querySelector(`[data-focus-key="${CSS.escape(key)}"]`);
      if (target instanceof HTMLElement) target.focus();
      else if (this.#nav.contains(document.activeElement) || focused) this.#refocus();
    }
  }

  /** Focus was on an item now gone: the first one left, or the toggle once the list is empty. */
  #refocus() {
    const first = this.#list.querySelector("button");
    if (first) {
      first.focus();
      return;
    }
    if (this.isOpen) this.setOpen(false);
    this.#toggle.focus();
  }

  /**
   * @param {{label: string, items: ConversationSummary[]}} group
   * @param {string} currentId
   * @param {Map<string, SearchMatch>} [matches]
   */
  #group(group, currentId, matches) {
    const element = document.createElement("li");
    element.className = "history-group";
    const heading = document.createElement("h3");
    heading.className = "history-group-title";
    heading.textContent = group.label;
    const list = document.createElement("ul");
    list.className = "history-items";
    list.append(...group.items.map((c) => this.#item(c, c.id === currentId, matches?.get(c.id))));
    element.append(heading, list);
    return element;
  }

  /**
   * @param {ConversationSummary} conversation
   * @param {boolean} current
   * @param {SearchMatch} [found]  the search's match in its title, or in a snippet of its text
   */
  #item(conversation, current, found) {
    const item = document.createElement("li");
    item.className = "history-item";
    const title = conversation.title || "Untitled";
    const open = button("history-open", "", undefined, `open:${conversation.id}`);
    open.append(markedText("history-open-title", found?.title ?? { text: title, ranges: [] }));
    if (found?.snippet) open.append(markedText("history-snippet", found.snippet));
    open.title = title;
    if (current) open.setAttribute("aria-current", "page");
    open.addEventListener("click", () => {
      this.#handlers.onOpen(conversation.id);
      if (NARROW.matches) this.setOpen(false);
    });
    const rename = button("history-action", "✎", `Rename “${title}”`, `rename:${conversation.id}`);
    rename.addEventListener("click", () => this.#rename(item, conversation.id, title));
    const remove = button("history-action", "✕", `Delete “${title}”`, `delete:${conversation.id}`);
    remove.addEventListener("click", () => this.#handlers.onDelete(conversation.id));
    const actions = document.createElement("span");
    actions.className = "history-actions";
    actions.append(rename, remove);
    item.append(open, actions);
    return item;
  }

  /**
   * @param {HTMLLIElement} item
   * @param {string} id
   * @param {string} title
   */
  #rename(item, id, title) {
    const form = document.createElement("form");
    form.className = "history-rename";
    const field = document.createElement("input");
    field.value = title;
    field.setAttribute("aria-label", "New title");
    field.maxLength = 120;
    const save = button("history-action", "Save", undefined, `save:${id}`);
    save.type = "submit";
    form.append(field, save);
    const done = (/** @type {boolean} */ keep) => {
      const value = field.value.trim();
      this.#focusAfterRender = `rename:${id}`;
      if (keep && value && value !== title) this.#handlers.onRename(id, value);
      else form.replaceWith(...saved);
      const first = item.querySelector("button.history-action");
      if ((!keep || !value || value === title) && first instanceof HTMLElement) first.focus();
    };
    const saved = [...item.childNodes];
    form.addEventListener("submit", (event) => {
      event.preventDefault();
      done(true);
    });
    field.addEventListener("keydown", (event) => {
      if (event.key === "Escape") {
        event.stopPropagation();
        done(false);
      }
    });
    item.replaceChildren(form);
    field.focus();
    field.select();
  }
}

/**
 * @param {string} className
 * @param {string} text
 * @param {string | undefined} name
 * @param {string} key  finds the button again after a re-render, to keep the focus on it
 */
function button(className, text, name, key) {
  const element = document.createElement("button");
  element.type = "button";
  element.className = className;
  element.textContent = text;
  element.dataset.focusKey = key;
  if (name) element.setAttribute("aria-label", name);
  return element;
}
