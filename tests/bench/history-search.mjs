// The history search over 500 conversations of realistic size: the time of each keystroke of a
// few queries typed letter by letter (the match over the whole index, snippets included), and of
// building the index once. Prints one JSON line; tests/bench/history_search.py reads it. With
// `--records`, prints the generated history instead.
import { indexEntry, search } from "../../web/js/history-search.js";

const CONVERSATIONS = 500;
const QUERIES = ["cloudfront", "résumé", "stream lambda timeout", "e", "zqxj"];
const WORDS = (
  "the a to of and in is it that for you with on this be are as can or if your not use by an " +
  "stream streaming answer token request response server client event lambda function cloudfront " +
  "cache header timeout retry python javascript browser page model message error status json " +
  "deploy region bucket latency buffer chunk socket connection résumé café naïve déjà façade " +
  "because which would should could about there their first then when what also into more"
).split(" ");

/** A small deterministic generator: the same history on every run. */
function random(seed) {
  let state = seed;
  return () => {
    state = (state * 1664525 + 1013904223) % 2 ** 32;
    return state / 2 ** 32;
  };
}
const next = random(24);
const pick = (/** @type {string[]} */ list) => list[Math.floor(next() * list.length)];
const between = (/** @type {number} */ low, /** @type {number} */ high) =>
  low + Math.floor(next() * (high - low));

/** @param {number} length  characters, about */
function prose(length) {
  const words = [];
  let size = 0;
  while (size < length) {
    const word = next() < 0.08 ? pick(WORDS).toUpperCase() : pick(WORDS);
    words.push(word);
    size += word.length + 1;
  }
  return `${words.join(" ")}.`;
}

/** An answer as models write them: paragraphs, a list, now and then code. */
function answer() {
  const blocks = [];
  for (let count = between(2, 9); count > 0; count -= 1) {
    const kind = next();
    if (kind < 0.15) blocks.push(`\`\`\`python\n${prose(between(80, 400)).replace(/ /g, "\n    ")}\n\`\`\``);
    else if (kind < 0.3) blocks.push(Array.from({ length: 4 }, () => `- ${prose(60)}`).join("\n"));
    else blocks.push(prose(between(150, 700)));
  }
  return blocks.join("\n\n");
}

function conversation(/** @type {number} */ index) {
  const turns = [];
  for (let id = 1, count = between(1, 16); id <= count; id += 1) {
    const prompt = prose(between(20, 400));
    const versions = [{ prompt, text: answer(), status: "done" }];
    if (next() < 0.1) versions.push({ prompt, text: answer(), status: "done" });
    turns.push({ id, shown: versions.length - 1, versions });
  }
  const title = prose(50).slice(0, 60);
  return { id: `c${index}`, title, updatedAt: 1_700_000_000_000 - index * 60_000, turns };
}

const records = Array.from({ length: CONVERSATIONS }, (_, index) => conversation(index));
// The same history for the page: tests/browser/test_search.py types into it.
if (process.argv.includes("--records")) process.stdout.write(JSON.stringify(records));
else measure();

function measure() {
  let started = performance.now();
  const entries = records.map(indexEntry);
  const indexMs = performance.now() - started;
  const characters = entries.reduce((sum, entry) => sum + entry.body.length, 0);

  /** @type {number[][]} */
  const rounds = [];
  /** @type {Record<string, number>} */
  const found = {};
  // The first round warms the engine up; a keystroke's time is its median over the next three,
  // so that a pause of a shared machine is not taken for the search's.
  for (let round = 0; round < 4; round += 1) {
    /** @type {number[]} */
    const times = [];
    for (const query of QUERIES) {
      for (let end = 1; end <= query.length; end += 1) {
        started = performance.now();
        const matches = search(entries, query.slice(0, end));
        times.push(performance.now() - started);
        found[query] = matches.length;
      }
    }
    if (round > 0) rounds.push(times);
  }
  const keystrokes = rounds[0].map((_, index) => middle(rounds.map((times) => times[index])));
  keystrokes.sort((a, b) => a - b);
  const at = (/** @type {number} */ share) => keystrokes[Math.floor(share * (keystrokes.length - 1))];
  console.log(
    JSON.stringify({
      conversations: CONVERSATIONS,
      turns: records.reduce((sum, record) => sum + record.turns.length, 0),
      megabytes: characters / 1e6,
      indexMs,
      keystrokes: keystrokes.length,
      medianMs: at(0.5),
      p95Ms: at(0.95),
      maxMs: keystrokes.at(-1),
      found,
    }),
  );
}

/** @param {number[]} values */
function middle(values) {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}
