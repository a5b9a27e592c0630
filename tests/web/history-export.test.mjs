// Conversations as files: Markdown of the branch shown, a JSON history file of whole records
// (attachments' Blobs as base64), and an import that checks everything before anything is kept.
import assert from "node:assert/strict";
import { test } from "node:test";

import { conversationMarkdown, fileName, historyFile } from "../../web/js/history-export.js";
import {
  importMessage,
  parseHistory,
  planImport,
  storable,
} from "../../web/js/history-import.js";

const PNG = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 255, 128, 7]);

/** @param {string} id */
function record(id, extra = {}) {
  return {
    id,
    title: `Conversation ${id}`,
    updatedAt: 1_700_000_000_000,
    turns: [{ id: 1, shown: 0, versions: [{ prompt: "Hi", text: "Hello!", status: "done", ...extra }] }],
  };
}

test("a history file round trip keeps records whole; attachments go as base64 and come back as Blobs", async () => {
  const withFile = record("a", {
    attachments: [{ name: "dot.png", mediaType: "image/png", size: PNG.length, data: new Blob([PNG], { type: "image/png" }) }],
    later: [{ id: 2, shown: 0, versions: [{ prompt: "Later", text: "Kept", status: "stopped" }] }],
  });
  const plain = record("b");
  const text = await historyFile([withFile, plain]);
  const file = JSON.parse(text);
  assert.equal(file.format, "stream-chat-history");
  assert.equal(file.version, 1);
  const data = file.conversations[0].turns[0].versions[0].attachments[0].data;
  assert.equal(data, Buffer.from(PNG).toString("base64"));
  assert.deepEqual(file.conversations[1], plain, "a record without attachments is written as it is");

  const parsed = parseHistory(text);
  assert.ok(parsed.ok);
  const [back, backPlain] = await Promise.all(parsed.records.map(storable));
  const attachment = back.turns[0].versions[0].attachments[0];
  assert.ok(attachment.data instanceof Blob);
  assert.equal(attachment.data.type, "image/png");
  assert.deepEqual(new Uint8Array(await attachment.data.arrayBuffer()), PNG);
  assert.deepEqual({ ...attachment, data: undefined }, { name: "dot.png", mediaType: "image/png", size: PNG.length, data: undefined });
  assert.deepEqual(back.turns[0].versions[0].later, withFile.turns[0].versions[0].later);
  assert.deepEqual(backPlain, plain);
  // The source record is untouched by its export.
  assert.ok(withFile.turns[0].versions[0].attachments[0].data instanceof Blob);
});

test("an attachment whose bytes were not kept is written and read without data", async () => {
  const kept = record("c", { attachments: [{ name: "big.pdf", mediaType: "application/pdf", size: 9e7 }] });
  const parsed = parseHistory(await historyFile([kept]));
  assert.ok(parsed.ok);
  const [back] = await Promise.all(parsed.records.map(storable));
  assert.deepEqual(back, kept);
});

test("a bad file is refused with a sentence that says why, and nothing is returned", () => {
  const cases = [
    ["{not json", /not JSON/],
    ["[]", /not a Stream Chat history/],
    [JSON.stringify({ format: "other", version: 1, conversations: [] }), /not a Stream Chat history/],
    [JSON.stringify({ format: "stream-chat-history", version: 2, conversations: [] }), /version 2; this page reads 1/],
    [JSON.stringify({ format: "stream-chat-history", version: 1 }), /no "conversations" list/],
  ];
  for (const [text, why] of cases) {
    const parsed = parseHistory(String(text));
    assert.equal(parsed.ok, false, String(text));
    assert.match(parsed.ok ? "" : parsed.message, why);
    assert.match(parsed.ok ? "" : parsed.message, /Nothing was imported\./);
  }
});

test("one invalid record refuses the whole file, naming the record and the place", () => {
  /** @type {Array<[unknown, RegExp]>} */
  const broken = [
    [{ ...record("x"), id: "" }, /"id" is not a text/],
    [{ ...record("x"), updatedAt: "yesterday" }, /"updatedAt"/],
    [{ ...record("x"), turns: {} }, /"turns" is not a list/],
    [{ ...record("x"), turns: [{ id: 1, shown: 3, versions: [{ prompt: "", text: "", status: "done" }] }] }, /turn 1: "shown"/],
    [record("x", { status: "thinking" }), /turn 1, version 1: unknown "status"/],
    [record("x", { text: 42 }), /"text" is not a text/],
    [record("x", { parts: { steps: [], sources: "none", citations: [] } }), /parts.sources/],
    [record("x", { attachments: [{ name: "a.png", mediaType: "image/png", size: 3, data: "!!" }] }), /not base64/],
    [record("x", { later: [{ id: 2, shown: 0, versions: [] }] }), /a later turn 1 has no versions/],
  ];
  for (const [bad, why] of broken) {
    const text = JSON.stringify({ format: "stream-chat-history", version: 1, conversations: [record("ok"), bad] });
    const parsed = parseHistory(text);
    assert.equal(parsed.ok, false, why.source);
    assert.match(parsed.ok ? "" : parsed.message, /^Conversation 2 in the file is not valid/);
    assert.match(parsed.ok ? "" : parsed.message, why);
  }
});

test("an import never overwrites: kept ids and repeats within the file are skipped and counted", () => {
  const records = [record("a"), record("b"), record("a"), record("c")];
  const { add, skipped } = planImport(records, ["b"]);
  assert.deepEqual(add.map((r) => r.id), ["a", "c"]);
  assert.equal(skipped, 2);
  assert.equal(importMessage(2, 0), "Imported 2 conversations.");
  assert.equal(importMessage(0, 1), "Imported 0 conversations. 1 conversation was already here and was skipped.");
  assert.equal(importMessage(1, 3), "Imported 1 conversation. 3 conversations were already here and were skipped.");
});

test("Markdown holds the branch shown: questions, answers, citations, sources, and how it ended", () => {
  const conversation = {
    id: "m",
    title: "Sources & more",
    updatedAt: 1,
    turns: [
      {
        id: 1,
        shown: 1,
        versions: [
          { prompt: "Old question", text: "Old answer", status: "done" },
          {
            prompt: "What is SSE?",
            text: "A stream of events. It is simple.",
            status: "done",
            model: "claude-test",
            parts: {
              steps: [],
              sources: [{ url: "https://example.com/sse", title: "SSE spec" }],
              citations: [{ source: 1, at: 19 }],
            },
            attachments: [{ name: "notes.pdf", mediaType: "application/pdf", size: 10 }],
          },
        ],
      },
      { id: 2, shown: 0, versions: [{ prompt: "More?", text: "Partial", status: "stopped" }] },
      {
        id: 3,
        shown: 0,
        versions: [{ prompt: "Again", text: "", status: "error", error: { code: "overloaded", message: "Busy." } }],
      },
    ],
  };
  assert.equal(
    conversationMarkdown(conversation),
    [
      "# Sources & more",
      "## You",
      "What is SSE?",
      "- Attached: notes.pdf",
      "## Answer (claude-test)",
      "A stream of events.[1] It is simple.",
      "Sources:\n\n1. [SSE spec](https://example.com/sse)",
      "## You",
      "More?",
      "## Answer",
      "Partial",
      "*(stopped)*",
      "## You",
      "Again",
      "## Answer",
      "> Error: Busy.",
    ].join("\n\n") + "\n",
  );
});

test("file names are the title's words, safe anywhere", () => {
  assert.equal(fileName("Crème brûlée: how? / why!", "md"), "creme-brulee-how-why.md");
  assert.equal(fileName("   ", "json"), "conversation.json");
  assert.equal(fileName("日本語", "md"), "conversation.md");
});
