// @ts-check
/**
 * Code blocks in a rendered answer get a header with the language and a Copy button. Code and
 * tables scroll sideways when wide, so they take the keyboard focus too (arrow keys scroll them).
 */

const COPIED_FOR_MS = 1500;

/**
 * Wrap every `<pre>` under `root` in a `.code-block` with a copy button.
 * @param {ParentNode} root
 */
export function decorateCodeBlocks(root) {
  for (const table of root.querySelectorAll("table")) table.tabIndex = 0;
  for (const pre of root.querySelectorAll("pre")) {
    pre.tabIndex = 0;
    const code = pre.querySelector("code");
    const block = document.createElement("div");
    block.className = "code-block";
    const header = document.createElement("div");
    header.className = "code-header";
    const language = document.createElement("span");
    language.className = "code-language";
    language.textContent = languageOf(code) ?? "text";
    header.append(language, copyButton(() => (code ?? pre).textContent ?? ""));
    pre.replaceWith(block);
    block.append(header, pre);
  }
}

/**
 * @param {() => string} text
 * @returns {HTMLButtonElement}
 */
function copyButton(text) {
  const button = document.createElement("button");
  button.type = "button";
  button.className = "copy-button";
  button.textContent = "Copy";
  button.setAttribute("aria-label", "Copy code");
  button.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text());
      flash(button, "Copied");
    } catch {
      // The clipboard needs a secure context and permission; say so rather than fail silently.
      flash(button, "Copy failed");
    }
  });
  return button;
}

/**
 * @param {HTMLButtonElement} button
 * @param {string} label
 */
function flash(button, label) {
  button.textContent = label;
  setTimeout(() => {
    button.textContent = "Copy";
  }, COPIED_FOR_MS);
}

/**
 * marked marks fenced code with `class="language-xyz"`.
 * @param {Element | null} code
 */
function languageOf(code) {
  const match = code?.className.match(/(?:^|\s)language-([\w+#.-]+)/);
  return match ? match[1] : undefined;
}
