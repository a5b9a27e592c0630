// @ts-check
/**
 * Answer text that appears smoothly: tokens reach the page in bursts (the network batches them),
 * so what arrived is revealed over the next repaints rather than all at once, word by word, and
 * each newly revealed run fades in. With `prefers-reduced-motion: reduce` there is neither: text
 * shows as it arrives. `TextPacer` is pure; `markFresh` wraps the fading runs in the DOM.
 */

// What has arrived is all shown within about this long.
export const DRAIN_MS = 150;
// A backlog this large is a replay or a huge burst: pacing it would only delay it.
export const MAX_PACED_CHARS = 2000;
// A reveal ends at a word's end when one is this close.
const WORD_REACH = 12;
// How long a revealed run fades in (the `text-in` animation in styles.css).
export const FADE_MS = 300;

/** @typedef {{chars: number, at: number}} Reveal  a run of revealed text, and when */

export class TextPacer {
  #pending = "";
  /** @type {Reveal[]} */
  #reveals = [];
  #reduced;

  /** @param {() => boolean} reduced  whether motion is to be avoided, asked at every reveal */
  constructor(reduced) {
    this.#reduced = reduced;
  }

  /** Text not revealed yet. */
  get pending() {
    return this.#pending;
  }

  /** @param {string} text */
  push(text) {
    this.#pending += text;
  }

  /**
   * The text to reveal at `now`, `elapsedMs` after the last reveal.
   * @param {number} now
   * @param {number} elapsedMs
   */
  take(now, elapsedMs) {
    const reduced = this.#reduced();
    const count = reduced ? this.#pending.length : revealCount(this.#pending, elapsedMs);
    const text = this.#pending.slice(0, count);
    this.#pending = this.#pending.slice(count);
    if (text && !reduced) this.#reveals.push({ chars: text.length, at: now });
    return text;
  }

  /** Everything not revealed yet, at once (the answer ends, or a citation must go after it). */
  flush() {
    const text = this.#pending;
    this.#pending = "";
    return text;
  }

  /**
   * The runs still fading in at `now`, newest first, each with its age.
   * @param {number} now
   * @returns {{chars: number, ageMs: number}[]}
   */
  fresh(now) {
    this.#reveals = this.#reveals.filter((reveal) => now - reveal.at < FADE_MS);
    return this.#reveals.map((r) => ({ chars: r.chars, ageMs: now - r.at })).reverse();
  }

  clear() {
    this.#pending = "";
    this.#reveals = [];
  }
}

/**
 * How many characters of `pending` to reveal `elapsedMs` after the last reveal: a share that
 * empties the backlog within DRAIN_MS, ending at a word's end when one is near.
 * @param {string} pending
 * @param {number} elapsedMs
 */
export function revealCount(pending, elapsedMs) {
  if (pending.length > MAX_PACED_CHARS) return pending.length;
  const share = Math.min(1, Math.max(0, elapsedMs) / DRAIN_MS);
  const count = Math.ceil(pending.length * share);
  if (count >= pending.length) return pending.length;
  if (/\s/.test(pending[count - 1] ?? " ") || /\s/.test(pending[count])) return count;
  const space = pending.slice(count).search(/\s/);
  return space !== -1 && space <= WORD_REACH ? count + space : count;
}

/**
 * Wrap the last characters of `root`'s text in fading spans, one per fresh run, each starting
 * its animation as far in as the run is old (so a re-rendered block never restarts a fade).
 * Counted in the source's characters, which markup makes a little longer than the text: a fade
 * may take in a few characters more than were revealed.
 * @param {HTMLElement} root
 * @param {{chars: number, ageMs: number}[]} runs  newest first
 */
export function markFresh(root, runs) {
  const nodes = textNodes(root);
  let node = nodes.pop();
  let end = node?.data.length ?? 0;
  for (const run of runs) {
    let left = run.chars;
    while (node && left > 0) {
      const start = Math.max(0, end - left);
      const span = document.createElement("span");
      span.className = "md-fresh";
      span.style.animationDelay = `${-Math.round(run.ageMs)}ms`;
      const piece = node.splitText(start);
      if (end - start < piece.data.length) piece.splitText(end - start);
      piece.replaceWith(span);
      span.append(piece);
      left -= end - start;
      end = start;
      if (end === 0) {
        node = nodes.pop();
        end = node?.data.length ?? 0;
      }
    }
  }
}

/** @param {HTMLElement} root  its text nodes with more than white space, in order */
function textNodes(root) {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  /** @type {Text[]} */
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (node instanceof Text && node.data.trim()) found.push(node);
  }
  return found;
}
