// @ts-check
/**
 * Keep the newest text in view while it streams, unless the user has scrolled up to read:
 * then leave the position alone and offer a "jump to latest" button instead.
 *
 * Whether to follow is decided by what the user does (wheel, touch, keys, the scrollbar), never
 * by the scroll position alone: the position also moves when layout does (an answer block laid
 * out for the first time is taller than its placeholder, the browser anchors or clamps the
 * scroll), and such a shift is not the user scrolling up. While following, every change of the
 * content's size, whatever caused it, brings the end back into view before it is painted.
 */

// How close to the bottom still counts as "at the bottom" when the user scrolls there.
const STICKY_PX = 48;
// A scroll this soon after the user's last input is theirs (a wheel or a fling glides on).
const INTENT_MS = 400;
// Keys that scroll the conversation up, or anywhere, when focus is not in a text field.
const KEYS_UP = new Set(["ArrowUp", "PageUp", "Home"]);
const KEYS_SCROLL = new Set([...KEYS_UP, "ArrowDown", "PageDown", "End", " ", "Tab"]);

export class AutoScroll {
  #scroller;
  #jump;
  #following = true;
  #intentUntil = -Infinity;
  #pointerDown = false;
  #lastTop = 0;
  /** @type {number | undefined} */
  #touchY = undefined;

  /**
   * @param {HTMLElement} scroller  the scrolling container of the conversation
   * @param {HTMLButtonElement} jump  shown while new content arrives below the fold
   */
  constructor(scroller, jump) {
    this.#scroller = scroller;
    this.#jump = jump;
    const passive = { passive: true };
    scroller.addEventListener("scroll", () => this.#onScroll(), passive);
    scroller.addEventListener("wheel", (event) => this.#onInput(event.deltaY < 0), passive);
    // A finger on the screen, and the fling after it: dragged down, it scrolls up.
    scroller.addEventListener("touchstart", (event) => this.#onTouch(event), passive);
    scroller.addEventListener("touchmove", (event) => this.#onTouch(event), passive);
    scroller.addEventListener("touchend", () => this.#onInput(false), passive);
    // The scrollbar, or a selection dragged past the edge: the user moves the view.
    scroller.addEventListener("pointerdown", () => {
      this.#pointerDown = true;
      this.#onInput(false);
    });
    window.addEventListener("pointerup", () => this.#endPointer(), passive);
    window.addEventListener("pointercancel", () => this.#endPointer(), passive);
    document.addEventListener("keydown", (event) => this.#onKey(event));
    jump.addEventListener("click", () => this.toBottom());
    // Content laid out anew (a block rendered, an image, a wider window) moves the end.
    const resized = new ResizeObserver(() => this.contentChanged());
    resized.observe(scroller);
    for (const child of scroller.children) resized.observe(child);
  }

  /** Whether the view follows the end of the conversation. */
  get following() {
    return this.#following;
  }

  /** Call after the content grew. */
  contentChanged() {
    if (this.#following) this.#toEnd();
    else this.#jump.hidden = this.#distance() <= STICKY_PX;
  }

  /** Follow the end again, for good: a new question, an opened conversation, the jump button. */
  toBottom() {
    this.#following = true;
    this.#intentUntil = -Infinity;
    this.#toEnd();
  }

  #toEnd() {
    this.#jump.hidden = true;
    const s = this.#scroller;
    if (s.scrollTop < s.scrollHeight - s.clientHeight) s.scrollTop = s.scrollHeight;
    this.#lastTop = s.scrollTop;
  }

  /** @param {boolean} up  the input asks to go up: stop following before anything moves */
  #onInput(up) {
    this.#intentUntil = performance.now() + INTENT_MS;
    if (up && this.#scroller.scrollTop > 0) this.#unfollow();
  }

  /** @param {TouchEvent} event */
  #onTouch(event) {
    const y = event.touches[0]?.clientY;
    const down = event.type === "touchmove" && y !== undefined && y > (this.#touchY ?? y);
    this.#touchY = y;
    this.#onInput(down);
  }

  /** @param {KeyboardEvent} event */
  #onKey(event) {
    const target = event.target;
    const typing =
      target instanceof HTMLElement &&
      (target.isContentEditable || target.matches("input, textarea, select"));
    if (typing || !KEYS_SCROLL.has(event.key)) return;
    this.#onInput(KEYS_UP.has(event.key) || (event.key === " " && event.shiftKey));
  }

  #endPointer() {
    if (!this.#pointerDown) return;
    this.#pointerDown = false;
    this.#intentUntil = performance.now() + INTENT_MS;
  }

  #onScroll() {
    const s = this.#scroller;
    const movedUp = s.scrollTop < this.#lastTop;
    this.#lastTop = s.scrollTop;
    const now = performance.now();
    if (!this.#pointerDown && now > this.#intentUntil) return;
    // The glide of a wheel or a fling goes on after the input: it is still the user's.
    if (!this.#pointerDown) this.#intentUntil = Math.max(this.#intentUntil, now + INTENT_MS / 2);
    // The scrollbar held: any move up is the user's, however small.
    if (movedUp && (this.#pointerDown || this.#distance() > STICKY_PX)) this.#unfollow();
    else if (!movedUp && this.#distance() <= STICKY_PX) this.toBottom();
  }

  #unfollow() {
    this.#following = false;
    this.#jump.hidden = this.#distance() <= STICKY_PX;
  }

  #distance() {
    const s = this.#scroller;
    return s.scrollHeight - s.scrollTop - s.clientHeight;
  }
}
