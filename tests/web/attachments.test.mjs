// Files a message carries: known by their bytes, held to the server's limits, sent as blocks.
import assert from "node:assert/strict";
import { test } from "node:test";

import {
  base64Of,
  checkFile,
  encodedSize,
  formatBytes,
  mediaTypeOf,
  MEDIA_TYPES,
  NO_ATTACHMENTS,
  parseAttachments,
  uniqueName,
  wireMessages,
} from "../../web/js/attachments.js";

const LIMITS = {
  maxFileBytes: 1000,
  maxFiles: 2,
  maxRequestBytes: 80_000,
  mediaTypes: [...MEDIA_TYPES],
};
const ascii = (text) => [...text].map((ch) => ch.charCodeAt(0));
const HEADS = {
  "image/png": [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13],
  "image/jpeg": [0xff, 0xd8, 0xff, 0xe0, 0, 16, ...ascii("JFIF")],
  "image/gif": ascii("GIF89a\x01\x00\x01\x00"),
  "image/webp": [...ascii("RIFF"), 26, 0, 0, 0, ...ascii("WEBP")],
  "application/pdf": ascii("%PDF-1.4\n%"),
};
// A Windows executable, whatever it is called.
const EXE = new Uint8Array([0x4d, 0x5a, 0x90, 0, 3, 0, 0, 0, 4, 0, 0, 0]);

test("each type is known by its magic number, and nothing else is", () => {
  for (const [type, head] of Object.entries(HEADS)) {
    assert.equal(mediaTypeOf(new Uint8Array(head)), type);
  }
  assert.equal(mediaTypeOf(EXE), undefined);
  assert.equal(mediaTypeOf(new Uint8Array(ascii("RIFF\0\0\0\0WAVE"))), undefined);
  assert.equal(mediaTypeOf(new Uint8Array([0x89, 0x50])), undefined, "too short to tell");
  assert.equal(mediaTypeOf(new Uint8Array()), undefined);
});

test("a file is taken with the type its bytes say", () => {
  const file = { name: "photo.jpg", size: 500, head: new Uint8Array(HEADS["image/png"]) };
  assert.deepEqual(checkFile(file, [], LIMITS), { mediaType: "image/png" });
});

test("a renamed executable, an oversize file and one too many are refused, by name", () => {
  const exe = checkFile({ name: "cat.png", size: 100, head: EXE }, [], LIMITS);
  assert.deepEqual(exe, {
    refusal: "“cat.png” cannot be sent: only PNG, JPEG, GIF, WebP and PDF files can.",
  });
  const png = new Uint8Array(HEADS["image/png"]);
  const big = checkFile({ name: "big.png", size: 1001, head: png }, [], LIMITS);
  assert.deepEqual(big, { refusal: "“big.png” is too large: a file can be up to 1000 bytes." });
  const two = [{ size: 1 }, { size: 1 }];
  const third = checkFile({ name: "c.png", size: 10, head: png }, two, LIMITS);
  assert.deepEqual(third, { refusal: "“c.png” was not added: a message can carry 2 files." });
});

test("the files of a message must fit one request, in base64, beside its text", () => {
  const png = new Uint8Array(HEADS["image/png"]);
  const roomy = { ...LIMITS, maxFileBytes: 20_000, maxFiles: 5 };
  // 64 KiB stay for the text: 14,464 bytes of base64, 10,000 bytes of files (13,336) fit.
  const attached = [{ size: 5_000 }];
  assert.ok("mediaType" in checkFile({ name: "a.png", size: 5_000, head: png }, attached, roomy));
  const over = checkFile({ name: "b.png", size: 6_000, head: png }, attached, roomy);
  assert.deepEqual(over, {
    refusal: "“b.png” was not added: together the files would be more than 78 KB.",
  });
});

test("only the types the server lists are taken", () => {
  const pdfOnly = { ...LIMITS, mediaTypes: ["application/pdf"] };
  const gif = { name: "a.gif", size: 10, head: new Uint8Array(HEADS["image/gif"]) };
  const refusal = "“a.gif” cannot be sent: only PDF files can.";
  assert.deepEqual(checkFile(gif, [], pdfOnly), { refusal });
});

test("config.json's attachments are taken whole, or no files are offered", () => {
  const raw = {
    maxFileBytes: 3145728,
    maxFiles: 5,
    maxRequestBytes: 5242880,
    mediaTypes: [...MEDIA_TYPES, "image/bmp"],
  };
  assert.deepEqual(parseAttachments(raw), { ...raw, mediaTypes: [...MEDIA_TYPES] });
  const broken = [
    { maxFileBytes: "3" },
    { mediaTypes: [] },
    { maxFiles: -1 },
    { maxRequestBytes: 0 },
  ];
  for (const bad of [undefined, null, "yes", {}, ...broken.map((flaw) => ({ ...raw, ...flaw }))]) {
    assert.deepEqual(parseAttachments(bad), NO_ATTACHMENTS, JSON.stringify(bad));
  }
  assert.equal(parseAttachments({ ...raw, maxFiles: 0 }).maxFiles, 0, "0: the server takes none");
});

test("pasted files that share a name are told apart", () => {
  assert.equal(uniqueName("image.png", []), "image.png");
  assert.equal(uniqueName("image.png", ["image.png"]), "image (2).png");
  assert.equal(uniqueName("image.png", ["image.png", "image (2).png"]), "image (3).png");
  assert.equal(uniqueName("README", ["README"]), "README (2)");
  assert.equal(uniqueName("  ", []), "file");
});

test("sizes read the way people say them", () => {
  assert.equal(formatBytes(999), "999 bytes");
  assert.equal(formatBytes(12_345), "12 KB");
  assert.equal(formatBytes(2_345), "2.3 KB");
  assert.equal(formatBytes(3 * 1024 * 1024), "3 MB");
  assert.equal(formatBytes(4_400_000), "4.2 MB");
  assert.equal(encodedSize(3), 4);
  assert.equal(encodedSize(4), 8);
});

test("base64 is exact, also past one slice of the encoder", () => {
  const bytes = new Uint8Array(100_003).map((_, index) => (index * 7919) % 256);
  assert.equal(base64Of(bytes), Buffer.from(bytes).toString("base64"));
  assert.equal(base64Of(new Uint8Array()), "");
});

test("a message's files go as blocks before its text; other messages are left alone", async () => {
  const png = new Uint8Array([...HEADS["image/png"], 1, 2, 3]);
  const pdf = new Uint8Array(HEADS["application/pdf"]);
  const files = [
    { name: "chart.png", mediaType: "image/png", size: png.length, data: new Blob([png]) },
    { name: "report.pdf", mediaType: "application/pdf", size: pdf.length, data: new Blob([pdf]) },
  ];
  const messages = await wireMessages([
    { role: "user", content: "Earlier", attachments: files.slice(1) },
    { role: "assistant", content: "A report." },
    { role: "user", content: "And this?", attachments: files.slice(0, 1) },
    { role: "assistant", content: "A chart." },
    { role: "user", content: "Thanks", attachments: [] },
  ]);
  const data = (bytes) => Buffer.from(bytes).toString("base64");
  const source = (type, bytes) => ({ type: "base64", media_type: type, data: data(bytes) });
  assert.deepEqual(messages, [
    {
      role: "user",
      content: [
        { type: "document", source: source("application/pdf", pdf), title: "report.pdf" },
        { type: "text", text: "Earlier" },
      ],
    },
    { role: "assistant", content: "A report." },
    {
      role: "user",
      content: [
        { type: "image", source: source("image/png", png) },
        { type: "text", text: "And this?" },
      ],
    },
    { role: "assistant", content: "A chart." },
    { role: "user", content: "Thanks" },
  ]);
});

test("a message of files alone is its file blocks, with no text block", async () => {
  const png = new Uint8Array([...HEADS["image/png"], 4, 5]);
  const file = { name: "cat.png", mediaType: "image/png", size: png.length, data: new Blob([png]) };
  const [message] = await wireMessages([{ role: "user", content: "", attachments: [file] }]);
  const data = Buffer.from(png).toString("base64");
  assert.deepEqual(message, {
    role: "user",
    content: [{ type: "image", source: { type: "base64", media_type: "image/png", data } }],
  });
});
