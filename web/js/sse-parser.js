// @ts-check
/**
 * An incremental parser for `text/event-stream`, following the WHATWG rules in
 * https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 * Pure: no DOM, no network. Feed it bytes or strings in chunks of any size; it returns the events
 * each chunk completed.
 */

/**
 * @typedef {object} SseEvent
 * @property {string} id     the last event id seen so far (it persists across events)
 * @property {string} event  the event type, `message` when the stream named none
 * @property {string} data   the data lines joined with LF
 * @property {number | undefined} retry  the last valid `retry` value, in milliseconds
 */

/**
 * @typedef {object} SseParserOptions
 * @property {(comment: string) => void} [onComment]  called for each `:` line (heartbeats)
 * @property {number} [maxBufferBytes]  cap on the UTF-8 bytes of an unfinished line plus the
 *   unfinished event's data; a stream that never ends a line or an event cannot grow memory
 */

export const DEFAULT_MAX_BUFFER_BYTES = 1024 * 1024;

/** The one error this parser raises: too much buffered without an event boundary. */
export class SseParseError extends Error {
  /** @param {string} message */
  constructor(message) {
    super(message);
    this.name = "SseParseError";
    this.type = "max-buffer-size-exceeded";
  }
}

const DIGITS = /^\d+$/;

export class SseParser {
  #lineEnd = /[\r\n]/g;
  #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  #onComment;
  #maxBufferBytes;
  #atStart = true;
  #skipLeadingLF = false;
  #line = "";
  #lineBytes = 0;
  #data = "";
  #dataBytes = 0;
  #eventType = "";
  #lastEventId = "";
  /** @type {number | undefined} */
  #retry = undefined;

  /** @param {SseParserOptions} [options] */
  constructor(options = {}) {
    this.#onComment = options.onComment;
    this.#maxBufferBytes = options.maxBufferBytes ?? DEFAULT_MAX_BUFFER_BYTES;
  }

  /**
   * Parse one chunk; multi-byte characters and CRLF pairs may be split across chunks.
   * @param {Uint8Array | string} chunk
   * @returns {SseEvent[]} the events this chunk completed, in order
   */
  feed(chunk) {
    const text = typeof chunk === "string" ? chunk : this.#decoder.decode(chunk, { stream: true });
    return this.#feedText(text);
  }

  /**
   * End of stream: flush the decoder and drop any unfinished line or event, as the spec requires
   * (an event is only complete once a blank line ends it).
   */
  end() {
    this.#feedText(this.#decoder.decode());
    this.#line = "";
    this.#lineBytes = 0;
    this.#resetEvent();
  }

  /** @param {string} input */
  #feedText(input) {
    let text = input;
    if (text.length === 0) return [];
    if (this.#atStart) {
      this.#atStart = false;
      // The decoder keeps BOMs (ignoreBOM) so string and byte input strip exactly one, here.
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    // A CR ended the previous chunk: an LF starting this one belongs to the same line ending.
    if (this.#skipLeadingLF && text.startsWith("\n")) text = text.slice(1);
    this.#skipLeadingLF = false;
    return this.#splitLines(text);
  }

  /** @param {string} text */
  #splitLines(text) {
    /** @type {SseEvent[]} */
    const events = [];
    let start = 0;
    const lineEnd = this.#lineEnd;
    lineEnd.lastIndex = 0;
    for (let match = lineEnd.exec(text); match; match = lineEnd.exec(text)) {
      const end = match.index;
      const line = this.#line + text.slice(start, end);
      this.#line = "";
      this.#lineBytes = 0;
      start = end + 1;
      if (text[end] === "\r") {
        if (start === text.length) this.#skipLeadingLF = true;
        else if (text[start] === "\n") start += 1;
      }
      lineEnd.lastIndex = start;
      const event = this.#processLine(line);
      if (event) events.push(event);
    }
    const rest = text.slice(start);
    this.#line += rest;
    this.#lineBytes += utf8Length(rest);
    if (this.#lineBytes + this.#dataBytes > this.#maxBufferBytes) {
      throw new SseParseError(`more than ${this.#maxBufferBytes} bytes without an event boundary`);
    }
    return events;
  }

  /**
   * @param {string} line
   * @returns {SseEvent | undefined}
   */
  #processLine(line) {
    if (line === "") return this.#dispatch();
    if (line.startsWith(":")) {
      this.#onComment?.(line.slice(1).replace(/^ /, ""));
      return undefined;
    }
    const colon = line.indexOf(":");
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? "" : line.slice(colon + 1);
    if (value.startsWith(" ")) value = value.slice(1);
    this.#applyField(field, value);
    return undefined;
  }

  /**
   * @param {string} field
   * @param {string} value
   */
  #applyField(field, value) {
    if (field === "data") {
      this.#data += `${value}\n`;
      this.#dataBytes += utf8Length(value) + 1;
    } else if (field === "event") {
      this.#eventType = value;
    } else if (field === "id") {
      if (!value.includes("\0")) this.#lastEventId = value;
    } else if (field === "retry") {
      if (DIGITS.test(value)) this.#retry = Number.parseInt(value, 10);
    }
    // Any other field is ignored, per the spec.
  }

  /** @returns {SseEvent | undefined} */
  #dispatch() {
    const data = this.#data;
    const eventType = this.#eventType;
    this.#resetEvent();
    // A blank line after no data (e.g. after a lone `id:` or a comment) dispatches nothing.
    if (data === "") return undefined;
    return {
      id: this.#lastEventId,
      event: eventType || "message",
      data: data.slice(0, -1),
      retry: this.#retry,
    };
  }

  #resetEvent() {
    this.#data = "";
    this.#dataBytes = 0;
    this.#eventType = "";
  }
}

/**
 * Parse a whole stream at once (the reference the incremental path is tested against).
 * @param {Uint8Array | string} input
 * @param {SseParserOptions} [options]
 * @returns {SseEvent[]}
 */
export function parseAll(input, options) {
  const parser = new SseParser(options);
  const events = parser.feed(input);
  parser.end();
  return events;
}

/**
 * UTF-8 length of a string without allocating an encoded copy.
 * @param {string} text
 */
function utf8Length(text) {
  let bytes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const unit = text.charCodeAt(i);
    if (unit < 0x80) bytes += 1;
    else if (unit < 0x800) bytes += 2;
    // A surrogate pair is 4 bytes: 2 for each half. A lone surrogate becomes U+FFFD (3 bytes).
    else if (isHighSurrogate(unit) && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i += 1;
    } else bytes += 3;
  }
  return bytes;
}

/** @param {number} unit */
const isHighSurrogate = (unit) => unit >= 0xd800 && unit <= 0xdbff;
/** @param {number} unit */
const isLowSurrogate = (unit) => unit >= 0xdc00 && unit <= 0xdfff;
