// The history's date groups follow the user's calendar days.
import assert from "node:assert/strict";
import { test } from "node:test";

import { groupByDate } from "../../web/js/history-groups.js";

/** A local time, `daysAgo` calendar days before 2026-03-30 (a day after a DST change in Europe). */
function at(daysAgo, hours, minutes = 0) {
  return new Date(2026, 2, 30 - daysAgo, hours, minutes).getTime();
}

test("items fall into Today, Yesterday, Previous 7 days and Older, in order", () => {
  const now = at(0, 9, 30);
  const items = [
    { id: "a", updatedAt: at(0, 0, 1) },
    { id: "b", updatedAt: at(1, 23, 59) },
    { id: "c", updatedAt: at(1, 0, 0) },
    { id: "d", updatedAt: at(2, 12) },
    { id: "e", updatedAt: at(7, 0, 0) },
    { id: "f", updatedAt: at(8, 23) },
    { id: "g", updatedAt: at(400, 12) },
  ];
  const groups = groupByDate(items, now);
  assert.deepEqual(
    groups.map((group) => [group.label, group.items.map((item) => item.id)]),
    [
      ["Today", ["a"]],
      ["Yesterday", ["b", "c"]],
      ["Previous 7 days", ["d", "e"]],
      ["Older", ["f", "g"]],
    ],
  );
});

test("empty groups are left out", () => {
  const now = at(0, 12);
  const groups = groupByDate([{ updatedAt: at(30, 1) }], now);
  assert.deepEqual(groups.map((group) => group.label), ["Older"]);
  assert.deepEqual(groupByDate([], now), []);
});
