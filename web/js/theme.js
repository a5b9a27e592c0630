// @ts-check
// A classic script, run before the first paint: the remembered theme applies without a flash.
try {
  const theme = localStorage.getItem("theme");
  if (theme === "light" || theme === "dark") document.documentElement.dataset.theme = theme;
} catch {
  // Storage refused: the system's theme it is.
}
