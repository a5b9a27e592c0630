// A turn view for AnswerRun tests: it records what it was asked to show instead of touching a
// DOM.
export class RecordingView {
  statuses = [];
  texts = [];
  finished = undefined;
  error = undefined;
  setStatus(status, note) {
    this.statuses.push(note ? `${status}: ${note}` : status);
  }
  appendText(value) {
    this.texts.push(value);
  }
  setStats() {}
  setModel(model) {
    this.model = model;
  }
  finish() {
    this.finished = this.texts.join("");
  }
  showError(error) {
    this.error = error;
  }
  setParts(parts) {
    this.parts = parts;
  }
  partsChanged() {
    this.partsChanges = (this.partsChanges ?? 0) + 1;
  }
  cite(source) {
    this.texts.push(`[${source}]`);
  }
  showAnswer(answer) {
    this.texts = [answer.text];
  }
  startAnswer() {
    this.statuses.push("restarted");
  }
}
