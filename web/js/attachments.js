// @ts-check
/**
 * Files a message carries (images and PDFs): which the page takes, by the file's bytes and within
 * the server's limits (config.json's `attachments`), and how they travel: as the Messages API's
 * `image` and `document` blocks with a base64 source, before the message's text. Pure: no DOM.
 */

/**
 * @typedef {object} AttachmentLimits  what the server accepts (docs/protocol.md, "Files")
 * @property {number} maxFileBytes  one file, decoded
 * @property {number} maxFiles  files per message; 0: the server takes none
 * @property {number} maxRequestBytes  the whole request body, files in base64 included
 * @property {string[]} mediaTypes
 *
 * @typedef {import("./conversation.js").Attachment} Attachment
 * @typedef {{name: string, size: number, head: Uint8Array}} Candidate  a file offered, and
 *   its first HEAD_BYTES bytes
 * @typedef {{type: "text", text: string} | FileBlock} ContentBlock
 * @typedef {{type: "image" | "document", source: {type: "base64", media_type: string,
 *   data: string}, title?: string}} FileBlock
 * @typedef {{role: "user" | "assistant", content: string, attachments?: Attachment[]}} Message
 */

/** Every type the server may take, by the magic number that starts it. */
export const MEDIA_TYPES = Object.freeze([
  "image/png",
  "image/jpeg",
  "image/gif",
  "image/webp",
  "application/pdf",
]);
/** A server whose config.json says nothing of files takes none. */
export const NO_ATTACHMENTS = Object.freeze({
  maxFileBytes: 0,
  maxFiles: 0,
  maxRequestBytes: 0,
  mediaTypes: /** @type {string[]} */ ([]),
});
// Enough of a file's start to know its type.
export const HEAD_BYTES = 12;
// Room in the body for the message's text and the conversation's earlier turns.
const TEXT_ROOM_BYTES = 64 * 1024;
const MAX_TITLE_CHARS = 500;
/** @type {Readonly<Record<string, string>>} */
const TYPE_NAMES = {
  "image/png": "PNG",
  "image/jpeg": "JPEG",
  "image/gif": "GIF",
  "image/webp": "WebP",
  "application/pdf": "PDF",
};

/**
 * config.json's `attachments`: whole, with positive limits and known types, or no files at all.
 * @param {unknown} raw
 * @returns {AttachmentLimits}
 */
export function parseAttachments(raw) {
  if (typeof raw !== "object" || raw === null) return { ...NO_ATTACHMENTS };
  const values = /** @type {Record<string, unknown>} */ (raw);
  const count = (/** @type {unknown} */ value) =>
    typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : -1;
  const limits = {
    maxFileBytes: count(values.maxFileBytes),
    maxFiles: count(values.maxFiles),
    maxRequestBytes: count(values.maxRequestBytes),
    mediaTypes: Array.isArray(values.mediaTypes)
      ? MEDIA_TYPES.filter((type) => /** @type {unknown[]} */ (values.mediaTypes).includes(type))
      : [],
  };
  const usable = limits.maxFileBytes > 0 && limits.maxRequestBytes > 0 && limits.maxFiles >= 0;
  return usable && limits.mediaTypes.length > 0 ? limits : { ...NO_ATTACHMENTS };
}

/**
 * A file's type by its magic number, whatever its name says; undefined for any other file.
 * @param {Uint8Array} head
 * @returns {string | undefined}
 */
export function mediaTypeOf(head) {
  const starts = (/** @type {number[]} */ bytes, at = 0) =>
    bytes.every((byte, index) => head[at + index] === byte);
  const ascii = (/** @type {string} */ text) => [...text].map((ch) => ch.charCodeAt(0));
  if (starts([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])) return "image/png";
  if (starts([0xff, 0xd8, 0xff])) return "image/jpeg";
  if (starts(ascii("GIF87a")) || starts(ascii("GIF89a"))) return "image/gif";
  if (starts(ascii("RIFF")) && starts(ascii("WEBP"), 8)) return "image/webp";
  if (starts(ascii("%PDF-"))) return "application/pdf";
  return undefined;
}

/**
 * Whether a file may join the message's files: its type, or why not, in words for the person.
 * @param {Candidate} file
 * @param {readonly {size: number}[]} attached  the message's files so far
 * @param {AttachmentLimits} limits
 * @returns {{mediaType: string} | {refusal: string}}
 */
export function checkFile(file, attached, limits) {
  const name = `“${file.name}”`;
  if (attached.length >= limits.maxFiles) {
    return { refusal: `${name} was not added: a message can carry ${limits.maxFiles} files.` };
  }
  if (file.size > limits.maxFileBytes) {
    const most = formatBytes(limits.maxFileBytes);
    return { refusal: `${name} is too large: a file can be up to ${most}.` };
  }
  const mediaType = mediaTypeOf(file.head);
  if (!mediaType || !limits.mediaTypes.includes(mediaType)) {
    return { refusal: `${name} cannot be sent: only ${typeList(limits.mediaTypes)} files can.` };
  }
  const total = [...attached, file].reduce((sum, { size }) => sum + encodedSize(size), 0);
  if (total + TEXT_ROOM_BYTES > limits.maxRequestBytes) {
    const most = formatBytes(limits.maxRequestBytes);
    return { refusal: `${name} was not added: together the files would be more than ${most}.` };
  }
  return { mediaType };
}

/**
 * A name no other file of the message has: "image.png", then "image (2).png", as pasted
 * screenshots all are called the same.
 * @param {string} name
 * @param {readonly string[]} taken
 */
export function uniqueName(name, taken) {
  const base = name.trim() || "file";
  if (!taken.includes(base)) return base;
  const dot = base.lastIndexOf(".");
  const [stem, extension] = dot > 0 ? [base.slice(0, dot), base.slice(dot)] : [base, ""];
  for (let number = 2; ; number++) {
    const candidate = `${stem} (${number})${extension}`;
    if (!taken.includes(candidate)) return candidate;
  }
}

/** @param {number} bytes */
export function formatBytes(bytes) {
  if (bytes < 1024) return `${bytes} bytes`;
  const [size, unit] = bytes < 1024 * 1024 ? [bytes / 1024, "KB"] : [bytes / 1024 ** 2, "MB"];
  const rounded = size < 10 ? Math.round(size * 10) / 10 : Math.round(size);
  return `${rounded} ${unit}`;
}

/** @param {readonly string[]} types */
function typeList(types) {
  const names = types.map((type) => TYPE_NAMES[type] ?? type);
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1)}` : names[0];
}

/**
 * A file's size in base64, as it travels.
 * @param {number} bytes
 */
export function encodedSize(bytes) {
  return Math.ceil(bytes / 3) * 4;
}

/**
 * The messages as the server takes them: a message with files has them as blocks before its text
 * (a message of files alone has no text block).
 * @param {readonly Message[]} messages
 * @returns {Promise<Array<{role: "user" | "assistant", content: string | ContentBlock[]}>>}
 */
export async function wireMessages(messages) {
  return Promise.all(
    messages.map(async ({ role, content, attachments }) => ({
      role,
      content: attachments?.length ? await contentOf(content, attachments) : content,
    })),
  );
}

/**
 * @param {string} text
 * @param {readonly Attachment[]} attachments
 * @returns {Promise<ContentBlock[]>}
 */
export async function contentOf(text, attachments) {
  const files = await Promise.all(attachments.map(fileBlock));
  // Files alone make a message; a blank text block would be refused.
  return text.trim() ? [...files, { type: "text", text }] : files;
}

/**
 * @param {Attachment} attachment
 * @returns {Promise<FileBlock>}
 */
async function fileBlock(attachment) {
  const data = base64Of(new Uint8Array(await attachment.data.arrayBuffer()));
  const source = { type: /** @type {const} */ ("base64"), media_type: attachment.mediaType, data };
  if (attachment.mediaType !== "application/pdf") return { type: "image", source };
  // The model reads a document's title beside it: its file name, as the person knows it.
  const title = [...attachment.name.trim()].slice(0, MAX_TITLE_CHARS).join("");
  return title ? { type: "document", source, title } : { type: "document", source };
}

/**
 * @param {Uint8Array} bytes
 * @returns {string}
 */
export function base64Of(bytes) {
  let binary = "";
  // In slices: one call with a few million arguments would overflow the stack.
  for (let at = 0; at < bytes.length; at += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return btoa(binary);
}
