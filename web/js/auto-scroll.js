// @ts-check
/**
 * Keep the newest text in view while it streams, unless the user has scrolled up to read:
 * then leave the position alone and offer a "jump to latest" button instead.
 */

// How close to the bottom still counts as "at the bottom" (a line or two of slack).
const STICKY_PX = 48;

export class AutoScroll {
  #scroller;
  #jump;
  #stuck = true;

  /**
   * @param {HTMLElement} scroller  the scrolling container of the conversation
   * @param {HTMLButtonElement} jump  shown while new content arrives below the fold
   */
  constructor(scroller, jump) {
    this.#scroller = scroller;
    this.#jump = jump;
    // Content growth never moves scrollTop, so every scroll event is the user's or ours.
    scroller.addEventListener("scroll", () => this.#onScroll(), { passive: true });
    jump.addEventListener("click", () => this.toBottom());
  }

  /** Call after the content grew. */
  contentChanged() {
    if (this.#stuck) this.#scroller.scrollTop = this.#scroller.scrollHeight;
    else this.#jump.hidden = false;
  }

  toBottom() {
    this.#stuck = true;
    this.#jump.hidden = true;
    this.#scroller.scrollTop = this.#scroller.scrollHeight;
  }

  #onScroll() {
    const s = this.#scroller;
    this.#stuck = s.scrollHeight - s.scrollTop - s.clientHeight <= STICKY_PX;
    if (this.#stuck) this.#jump.hidden = true;
  }
}
