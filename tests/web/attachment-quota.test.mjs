// The room for files in this browser: what the stored conversations keep, and a cap they share.
import assert from "node:assert/strict";
import { test } from "node:test";

import { AttachmentQuota, keptBytes } from "../../web/js/attachment-quota.js";
import { Conversation, current } from "../../web/js/conversation.js";
import { MemoryStore } from "../../web/js/conversation-store.js";

/** @param {string} name @param {number} size */
function file(name, size) {
  return { name, mediaType: "image/png", size, data: new Blob([new Uint8Array(size)]) };
}

/** A conversation of one answered question with `files`. */
function asked(files, prompt = "What is this?") {
  const conversation = new Conversation();
  const turn = conversation.add(prompt, files);
  Object.assign(current(turn), { text: "A square.", status: "done" });
  return conversation;
}

test("a file counts once, however many versions of its question send it", () => {
  const conversation = asked([file("a.png", 60), file("b.png", 15)]);
  const [turn] = conversation.turns;
  conversation.addVersion(turn);
  conversation.addVersion(turn, "Edited: what is this?");
  assert.equal(turn.versions.length, 3);
  assert.equal(keptBytes(conversation.turns), 75);
  // A branch left behind keeps its files too.
  const next = conversation.add("And this?", [file("c.png", 5)]);
  conversation.show(turn, 0);
  assert.ok(!conversation.turns.includes(next));
  assert.equal(keptBytes(conversation.turns), 80);
});

test("files that were not kept take no room", () => {
  const conversation = asked([file("a.png", 60)]);
  current(conversation.turns[0]).attachmentsNotKept = 1;
  assert.equal(keptBytes(conversation.turns), 0);
});

test("with a small cap, the files that would pass it are not kept, and the text is", async () => {
  const store = new MemoryStore();
  const quota = new AttachmentQuota(100);
  const first = asked([file("a.png", 60)]);
  await store.put(first.toRecord());
  const second = new Conversation();
  assert.equal(await quota.hasRoom(store, second, [file("b.png", 40)]), true, "60 + 40 fit");
  assert.equal(await quota.hasRoom(store, second, [file("b.png", 41)]), false, "60 + 41 do not");
  // The open conversation counts as it is in memory, not as stored.
  assert.equal(await quota.hasRoom(store, first, [file("b.png", 40)]), true);

  const turn = second.add("And this?", [file("b.png", 41)]);
  current(turn).attachmentsNotKept = 1;
  const record = second.toRecord();
  assert.equal(record.turns[0].versions[0].prompt, "And this?");
  assert.equal(record.turns[0].versions[0].attachments, undefined, "the files are not stored");
  assert.equal(record.turns[0].versions[0].attachmentsNotKept, 1, "the question says so");
  // In memory they stay, and a regenerate sends them again.
  const version = second.addVersion(turn);
  assert.equal(version.attachments?.[0].name, "b.png");
  assert.equal(version.attachmentsNotKept, 1);
  assert.deepEqual(second.historyFor(turn)[0].attachments, version.attachments);
});

test("a conversation changed since it was read is read again; a deleted one is gone", async () => {
  const store = new MemoryStore();
  const quota = new AttachmentQuota(100);
  const first = asked([file("a.png", 50)]);
  first.updatedAt = 1;
  await store.put(first.toRecord());
  const open = new Conversation();
  assert.equal(await quota.hasRoom(store, open, [file("b.png", 50)]), true);
  first.add("More", [file("c.png", 30)]);
  first.updatedAt = 2;
  await store.put(first.toRecord());
  assert.equal(await quota.hasRoom(store, open, [file("b.png", 50)]), false);
  await store.delete(first.id);
  assert.equal(await quota.hasRoom(store, open, [file("b.png", 100)]), true);
});
