// @ts-check
/**
 * A restartable one-shot timer: the stream client's watchdog. Only protocol events restart it;
 * heartbeat comments keep proxies from cutting the connection but are not progress.
 */
export class IdleTimer {
  /** @type {ReturnType<typeof setTimeout> | undefined} */
  #handle = undefined;
  #onIdle;

  /** @param {() => void} onIdle */
  constructor(onIdle) {
    this.#onIdle = onIdle;
  }

  /**
   * (Re)start the countdown.
   * @param {number} ms
   */
  restart(ms) {
    this.stop();
    this.#handle = setTimeout(() => {
      this.#handle = undefined;
      this.#onIdle();
    }, ms);
  }

  stop() {
    if (this.#handle !== undefined) clearTimeout(this.#handle);
    this.#handle = undefined;
  }
}
