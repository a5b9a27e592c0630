// @ts-check
/**
 * The history list's date groups: Today, Yesterday, Previous 7 days, Older. By the calendar days
 * of the user's own clock, so "Yesterday" starts at their midnight, across daylight saving too.
 */

/**
 * @template {{updatedAt: number}} T
 * @typedef {{label: string, items: T[]}} DateGroup
 */

const LABELS = ["Today", "Yesterday", "Previous 7 days", "Older"];

/**
 * Group `items` (newest first) by when they were last updated; empty groups are left out.
 * @template {{updatedAt: number}} T
 * @param {T[]} items
 * @param {number} now  milliseconds since the epoch
 * @returns {DateGroup<T>[]}
 */
export function groupByDate(items, now) {
  const starts = [0, 1, 7].map((daysAgo) => startOfDay(now, daysAgo));
  /** @type {DateGroup<T>[]} */
  const groups = LABELS.map((label) => ({ label, items: [] }));
  for (const item of items) {
    const index = starts.findIndex((start) => item.updatedAt >= start);
    groups[index === -1 ? LABELS.length - 1 : index].items.push(item);
  }
  return groups.filter((group) => group.items.length > 0);
}

/**
 * Local midnight `daysAgo` calendar days before `now`.
 * @param {number} now
 * @param {number} daysAgo
 */
function startOfDay(now, daysAgo) {
  const day = new Date(now);
  day.setHours(0, 0, 0, 0);
  day.setDate(day.getDate() - daysAgo);
  return day.getTime();
}
