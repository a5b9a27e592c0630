// @ts-check
/**
 * The composer's files: "Attach files" (a file input), drag and drop onto the composer, and paste
 * into the message box. Each file is checked as it comes, by its bytes and the server's limits
 * (attachments.js), and shown as a thumbnail (an image) or a chip (a PDF) with a "Remove <name>"
 * button; a file refused is named under the composer, with why. `fileList` draws a question's
 * files in the conversation the same way, without the buttons.
 */
import { checkFile, formatBytes, HEAD_BYTES, uniqueName } from "./attachments.js";

/**
 * @typedef {import("./conversation.js").Attachment} Attachment
 * @typedef {import("./attachments.js").AttachmentLimits} AttachmentLimits
 *
 * @typedef {object} TrayElements
 * @property {HTMLFormElement} form  files dropped on it are added
 * @property {HTMLTextAreaElement} prompt  files pasted into it are added
 * @property {HTMLButtonElement} button  "Attach files"
 * @property {HTMLInputElement} input  the file input the button opens
 * @property {HTMLUListElement} list  the files attached
 * @property {HTMLElement} message  why a file was refused; the notice when files are not kept
 */

export class AttachmentTray {
  /** @type {Attachment[]} */
  #files = [];
  #elements;
  #limits;
  #onChange;

  /**
   * @param {TrayElements} elements
   * @param {AttachmentLimits} limits  a server that takes no files gets no button
   * @param {() => void} [onChange]  after files were added, removed or taken
   */
  constructor(elements, limits, onChange = () => {}) {
    this.#elements = elements;
    this.#limits = limits;
    this.#onChange = onChange;
    const { form, prompt, button, input } = elements;
    const offered = limits.maxFiles > 0;
    button.hidden = !offered;
    if (!offered) return;
    input.accept = limits.mediaTypes.join(",");
    button.addEventListener("click", () => input.click());
    input.addEventListener("change", () => {
      void this.add([...(input.files ?? [])]);
      input.value = "";
    });
    prompt.addEventListener("paste", (event) => {
      const files = [...(event.clipboardData?.files ?? [])];
      if (files.length === 0) return;
      // A copied picture may come with its text or address: only the file is wanted then.
      event.preventDefault();
      void this.add(files);
    });
    form.addEventListener("dragover", (event) => {
      if (!carriesFiles(event)) return;
      event.preventDefault();
      form.classList.add("dropping");
    });
    form.addEventListener("dragleave", (event) => {
      if (!form.contains(/** @type {Node | null} */ (event.relatedTarget))) {
        form.classList.remove("dropping");
      }
    });
    form.addEventListener("drop", (event) => {
      form.classList.remove("dropping");
      if (!carriesFiles(event)) return;
      event.preventDefault();
      void this.add([...(event.dataTransfer?.files ?? [])]);
    });
    // A file dropped beside the composer must not replace the page with itself.
    for (const type of ["dragover", "drop"]) {
      window.addEventListener(type, (event) => {
        if (carriesFiles(/** @type {DragEvent} */ (event))) event.preventDefault();
      });
    }
  }

  /** @param {boolean} value  no files can be attached while the message box is off */
  set disabled(value) {
    this.#elements.button.disabled = value;
  }

  /** The files attached now. */
  get attachments() {
    return [...this.#files];
  }

  /** How many files are attached now. */
  get count() {
    return this.#files.length;
  }

  /**
   * The files for the message being sent; the tray is empty again.
   * @returns {Attachment[]}
   */
  take() {
    const files = this.#files;
    this.#files = [];
    this.say("");
    this.#render();
    return files;
  }

  /** @param {string} text  shown under the composer, and read out */
  say(text) {
    this.#elements.message.textContent = text;
  }

  /**
   * Check each file by its bytes and the limits, in order; the refused are named, with why.
   * @param {File[]} files
   */
  async add(files) {
    const refusals = [];
    for (const file of files) {
      const head = new Uint8Array(await file.slice(0, HEAD_BYTES).arrayBuffer());
      const name = uniqueName(file.name, this.#files.map((attached) => attached.name));
      const verdict = checkFile({ name, size: file.size, head }, this.#files, this.#limits);
      if ("refusal" in verdict) refusals.push(verdict.refusal);
      else {
        const data = file.slice(0, file.size, verdict.mediaType);
        this.#files.push({ name, mediaType: verdict.mediaType, size: file.size, data });
      }
    }
    this.say(refusals.join(" "));
    this.#render();
  }

  /** @param {Attachment} file */
  #remove(file) {
    const at = this.#files.indexOf(file);
    this.#files.splice(at, 1);
    this.say("");
    this.#render();
    // Focus stays in the tray (the next file's button), or goes back to where files come from.
    const buttons = this.#elements.list.querySelectorAll("button");
    const next = buttons[Math.min(at, buttons.length - 1)];
    (next ?? this.#elements.prompt).focus();
  }

  #render() {
    const list = this.#elements.list;
    list.replaceChildren(...this.#files.map((file) => fileItem(file, () => this.#remove(file))));
    list.hidden = this.#files.length === 0;
    this.#onChange();
  }
}

/**
 * A question's files, as the conversation shows them.
 * @param {readonly Attachment[]} files
 * @returns {HTMLUListElement}
 */
export function fileList(files) {
  const list = document.createElement("ul");
  list.className = "attachments";
  list.setAttribute("aria-label", "Files");
  list.append(...files.map((file) => fileItem(file)));
  return list;
}

/**
 * @param {Attachment} file
 * @param {() => void} [onRemove]
 */
function fileItem(file, onRemove) {
  const item = document.createElement("li");
  item.className = "attachment";
  if (file.mediaType.startsWith("image/")) {
    const thumbnail = document.createElement("img");
    thumbnail.className = "attachment-thumbnail";
    // Its name is beside it: the picture itself is not read out.
    thumbnail.alt = "";
    dataUrl(file.data).then(
      (url) => (thumbnail.src = url),
      () => item.classList.add("unreadable"),
    );
    item.append(thumbnail);
  } else {
    const badge = document.createElement("span");
    badge.className = "attachment-badge";
    badge.setAttribute("aria-hidden", "true");
    badge.textContent = "PDF";
    item.append(badge);
  }
  const name = document.createElement("span");
  name.className = "attachment-name";
  name.textContent = file.name;
  name.title = file.name;
  const size = document.createElement("span");
  size.className = "attachment-size";
  size.textContent = formatBytes(file.size);
  item.append(name, size);
  if (onRemove) {
    const remove = document.createElement("button");
    remove.type = "button";
    remove.className = "attachment-remove";
    remove.setAttribute("aria-label", `Remove ${file.name}`);
    remove.textContent = "×";
    remove.addEventListener("click", onRemove);
    item.append(remove);
  }
  return item;
}

/**
 * A thumbnail's address: a data URL, which the page's policy allows for images (blob: it does not).
 * @param {Blob} blob
 * @returns {Promise<string>}
 */
function dataUrl(blob) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
}

/** @param {DragEvent} event */
function carriesFiles(event) {
  return [...(event.dataTransfer?.types ?? [])].includes("Files");
}
