// @ts-check
/**
 * The signed-in session of this tab: finishes a sign-in the page was loaded with, or picks up
 * the tokens saved in sessionStorage; renews the access token before it expires; hands out a
 * fresh one for each request; and ends with a sign-out. Everything it touches in the browser
 * comes in through `SessionEnv`, so the logic runs under Node's test runner as it does here.
 */
import { displayName, isFresh, refreshDelayMs } from "./auth-tokens.js";
import {
  authorizeUrl,
  callbackOf,
  logoutUrl,
  redeem,
  redirectUriOf,
  refresh,
  revoke,
  SignInError,
  withoutCallback,
} from "./sign-in.js";
import { clearTokens, loadTokens, saveTokens } from "./token-store.js";

/**
 * @typedef {import("./auth-tokens.js").Tokens} Tokens
 * @typedef {import("./config.js").AuthConfig} AuthConfig
 *
 * @typedef {object} SessionEnv
 * @property {import("./token-store.js").KeyValueStore} storage
 * @property {typeof fetch} fetch
 * @property {() => number} now
 * @property {() => string} href          the page's address
 * @property {(url: string) => void} navigate   leave for another page
 * @property {(url: string) => void} replaceUrl  change the address bar without a load
 * @property {(fn: () => void, ms: number) => unknown} setTimer
 * @property {(timer: unknown) => void} clearTimer
 */

// After a renewal failed for a passing reason (offline, a 5xx), try again this much later.
const RETRY_MS = 30_000;

export class AuthSession {
  #config;
  #env;
  /** @type {Tokens | undefined} */
  #tokens = undefined;
  /** @type {Promise<boolean> | undefined} */
  #refreshing = undefined;
  /** @type {unknown} */
  #timer = undefined;
  /** @type {string | undefined} */
  #problem = undefined;
  /** @type {Set<() => void>} */
  #listeners = new Set();

  /**
   * @param {AuthConfig} config
   * @param {SessionEnv} env
   */
  constructor(config, env) {
    this.#config = config;
    this.#env = env;
  }

  /** @returns {SessionEnv} */
  static browserEnv() {
    return {
      storage: sessionStorage,
      fetch: (input, init) => fetch(input, init),
      now: () => Date.now(),
      href: () => location.href,
      navigate: (url) => location.assign(url),
      replaceUrl: (url) => history.replaceState(history.state, "", url),
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (timer) => clearTimeout(/** @type {number} */ (timer)),
    };
  }

  /** Finish a sign-in in progress, or resume the saved session. */
  async start() {
    const env = this.#env;
    const callback = callbackOf(env.href());
    if (callback) {
      // The code is single-use and the state secret: neither stays in the address bar or history.
      env.replaceUrl(withoutCallback(env.href()));
      try {
        this.#keep(await redeem(this.#config, callback, { ...env, now: env.now() }));
      } catch (error) {
        this.#end(error instanceof SignInError ? error.message : String(error));
      }
    } else {
      this.#tokens = loadTokens(env.storage);
      if (this.#tokens && !isFresh(this.#tokens, env.now())) await this.#renew();
    }
    this.#schedule();
    this.#changed();
  }

  get signedIn() {
    return this.#tokens !== undefined;
  }

  /** Who is signed in, for display; undefined when nobody is. */
  get user() {
    return this.#tokens && displayName(this.#tokens);
  }

  /** Why the last sign-in or session ended, for the sign-in prompt. */
  get problem() {
    return this.#problem;
  }

  /** @param {() => void} listener  called after every change of `signedIn`, `user`, `problem` */
  onChange(listener) {
    this.#listeners.add(listener);
  }

  /** Leave for the managed login page; it comes back to this page with a code. */
  async signIn() {
    const env = this.#env;
    const redirectUri = redirectUriOf(env.href());
    env.navigate(await authorizeUrl(this.#config, redirectUri, env.storage, env.now()));
  }

  /** Forget the tokens, revoke the refresh token, and end the managed-login session too. */
  signOut() {
    const refreshToken = this.#tokens?.refreshToken;
    this.#end(undefined);
    if (refreshToken) void revoke(this.#config, refreshToken, this.#env.fetch);
    this.#env.navigate(logoutUrl(this.#config, redirectUriOf(this.#env.href())));
  }

  /**
   * An access token that will not expire on the way, renewed first if need be; undefined when
   * nobody is signed in (or the session could not be renewed).
   * @returns {Promise<string | undefined>}
   */
  async accessToken() {
    const tokens = this.#tokens;
    if (tokens && isFresh(tokens, this.#env.now())) return tokens.accessToken;
    if (tokens) await this.#renew();
    return this.#tokens && isFresh(this.#tokens, this.#env.now())
      ? this.#tokens.accessToken
      : undefined;
  }

  /** The current access token without waiting (for a cancel sent as the page goes away). */
  currentToken() {
    return this.#tokens?.accessToken;
  }

  /**
   * The API refused the token (401): it may have been revoked or expired early. One renewal
   * decides; if it fails, the session is over. Resolves to whether someone is still signed in.
   */
  async rejected() {
    if (!this.#tokens) return false;
    const renewed = await this.#renew();
    if (!renewed) this.#end("Your session has ended. Sign in again to continue.");
    return renewed;
  }

  /** @returns {Promise<boolean>} whether fresh tokens were obtained */
  #renew() {
    this.#refreshing ??= this.#refreshOnce().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  async #refreshOnce() {
    const tokens = this.#tokens;
    if (!tokens) return false;
    try {
      this.#keep(await refresh(this.#config, tokens, { ...this.#env, now: this.#env.now() }));
      this.#schedule();
      return true;
    } catch (error) {
      if (error instanceof SignInError && !error.final) {
        this.#schedule(RETRY_MS);
        return false;
      }
      this.#end("Your session has ended. Sign in again to continue.");
      return false;
    }
  }

  /** @param {Tokens} tokens */
  #keep(tokens) {
    const changed = this.#tokens === undefined || this.#problem !== undefined;
    this.#tokens = tokens;
    this.#problem = undefined;
    saveTokens(this.#env.storage, tokens);
    if (changed) this.#changed();
  }

  /** @param {string | undefined} problem */
  #end(problem) {
    this.#tokens = undefined;
    this.#problem = problem;
    clearTokens(this.#env.storage);
    this.#schedule();
    this.#changed();
  }

  /** @param {number} [delayMs]  default: when the tokens are due for renewal */
  #schedule(delayMs) {
    if (this.#timer !== undefined) this.#env.clearTimer(this.#timer);
    this.#timer = undefined;
    const tokens = this.#tokens;
    if (!tokens) return;
    const delay = delayMs ?? refreshDelayMs(tokens, this.#env.now());
    this.#timer = this.#env.setTimer(() => {
      this.#timer = undefined;
      void this.#renew();
    }, delay);
  }

  #changed() {
    for (const listener of this.#listeners) listener();
  }
}
