// @ts-check
/**
 * Conversations as files: one conversation as Markdown (the branch on screen, to read or paste),
 * and any number as one JSON file of their stored records (every branch), which the page can
 * import again (history-import.js). Files attached to questions are kept in the store as Blobs;
 * in the file they are base64 strings. Pure: no DOM, no storage.
 */

/**
 * @typedef {import("./conversation.js").ConversationRecord} ConversationRecord
 * @typedef {import("./conversation.js").Turn} Turn
 * @typedef {import("./conversation.js").Answer} Answer
 * @typedef {{name: string, mediaType: string, size: number, data?: Blob | string}} Attachment
 */

export const FORMAT = "stream-chat-history";
export const VERSION = 1;

/**
 * The history file of `records`, as text.
 * @param {ConversationRecord[]} records
 * @returns {Promise<string>}
 */
export async function historyFile(records) {
  const conversations = await Promise.all(records.map((record) => portable(record)));
  return JSON.stringify({ format: FORMAT, version: VERSION, conversations }, null, 1);
}

/**
 * A copy of `record` with every attachment's Blob as a base64 string.
 * @param {ConversationRecord} record
 * @returns {Promise<ConversationRecord>}
 */
export async function portable(record) {
  return { ...record, turns: await mapAttachments(record.turns, blobToBase64) };
}

/**
 * `turns` (every branch) with each attachment's `data` changed by `change`; turns, answers and
 * attachments are copies, the rest is shared.
 * @param {Turn[]} turns
 * @param {(data: any, mediaType: string) => Promise<Blob | string | undefined>} change
 * @returns {Promise<Turn[]>}
 */
export async function mapAttachments(turns, change) {
  return Promise.all(
    turns.map(async (turn) => ({
      ...turn,
      versions: await Promise.all(
        turn.versions.map(async (answer) => {
          // In a file the bytes are base64 text; in the store, a Blob.
          /** @type {Omit<Answer, "attachments"> & {attachments?: Attachment[]}} */
          const copy = { ...answer };
          if (answer.later) copy.later = await mapAttachments(answer.later, change);
          const attachments = /** @type {Attachment[] | undefined} */ (copy.attachments);
          if (attachments) {
            const changed = async (/** @type {Attachment} */ file) =>
              withData(file, await change(file.data, file.mediaType));
            copy.attachments = await Promise.all(attachments.map(changed));
          }
          return /** @type {Answer} */ (copy);
        }),
      ),
    })),
  );
}

/**
 * @param {Attachment} file
 * @param {Blob | string | undefined} data  none: the file's bytes were not kept
 * @returns {Attachment}
 */
function withData(file, data) {
  const { data: _, ...rest } = file;
  return data === undefined ? rest : { ...rest, data };
}

/**
 * @param {unknown} data
 * @returns {Promise<string | undefined>}
 */
async function blobToBase64(data) {
  if (!(data instanceof Blob)) return typeof data === "string" ? data : undefined;
  const bytes = new Uint8Array(await data.arrayBuffer());
  let binary = "";
  // In slices: one call with millions of arguments would overflow the stack.
  for (let at = 0; at < bytes.length; at += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(at, at + 0x8000));
  }
  return btoa(binary);
}

/**
 * One conversation as Markdown: the branch on screen, each question and its answer.
 * @param {ConversationRecord} record
 */
export function conversationMarkdown(record) {
  const parts = [`# ${record.title || "Untitled"}`];
  for (const turn of record.turns) {
    const answer = turn.versions[turn.shown] ?? turn.versions[turn.versions.length - 1];
    parts.push("## You", answer.prompt.trim());
    const files = /** @type {Attachment[] | undefined} */ (
      /** @type {{attachments?: unknown}} */ (answer).attachments
    );
    if (files?.length) parts.push(files.map((file) => `- Attached: ${file.name}`).join("\n"));
    parts.push(answer.model ? `## Answer (${answer.model})` : "## Answer");
    parts.push(answerMarkdown(answer));
  }
  return `${parts.filter((part) => part !== "").join("\n\n")}\n`;
}

/**
 * The answer's text with its citations as `[n]` where they arrived, its sources, and what ended
 * it when that was not its own end.
 * @param {Answer} answer
 */
function answerMarkdown(answer) {
  let text = answer.text;
  const citations = [...(answer.parts?.citations ?? [])].sort((a, b) => b.at - a.at);
  for (const { source, at } of citations) text = `${text.slice(0, at)}[${source}]${text.slice(at)}`;
  const lines = [text.trim()];
  const sources = answer.parts?.sources ?? [];
  if (sources.length > 0) {
    const list = sources.map(
      (source, index) => `${index + 1}. [${source.title || source.url}](${source.url})`,
    );
    lines.push(`Sources:\n\n${list.join("\n")}`);
  }
  if (answer.error) lines.push(`> Error: ${answer.error.message}`);
  else if (answer.status !== "done") lines.push(`*(${answer.status})*`);
  return lines.filter((line) => line !== "").join("\n\n");
}

/**
 * A file name for `title`: its words, safe on any system.
 * @param {string} title
 * @param {string} extension  "md" or "json"
 */
export function fileName(title, extension) {
  const words = title
    .normalize("NFKD")
    .replace(/[^\w\s-]/g, "")
    .trim()
    .toLowerCase()
    .split(/[\s_-]+/)
    .filter(Boolean)
    .slice(0, 8);
  return `${words.join("-") || "conversation"}.${extension}`;
}
