// The operator login: a token typed once is exchanged for an HttpOnly session cookie
// (POST /api/login); the page only remembers whether it is logged in, never the token.
import { getJson, postJson } from './dom.js';

export class Login {
  /**
   * @param {{ form: HTMLFormElement, token: HTMLInputElement, operator: HTMLElement,
   *   logout: HTMLButtonElement, message: HTMLElement }} els
   * @param {(operator: boolean) => void} onChange
   */
  constructor(els, onChange) {
    this.els = els;
    this.onChange = onChange;
    this.operator = false;
    els.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.login(els.token.value);
    });
    els.logout.addEventListener('click', () => void this.logout());
  }

  async check() {
    try {
      const s = await getJson('/api/session');
      this.set(s.operator === true);
    } catch {
      this.set(false);
    }
  }

  /** @param {string} token */
  async login(token) {
    const { status, body } = await postJson('/api/login', { token });
    this.els.token.value = '';
    if (status === 200) {
      this.els.message.textContent = '';
      this.set(true);
    } else {
      this.els.message.className = 'message error';
      this.els.message.textContent =
        status === 401 ? 'wrong token' : `login failed (${status}): ${body?.error ?? ''}`;
      this.set(false);
    }
  }

  async logout() {
    await postJson('/api/logout');
    this.set(false);
  }

  /** @param {boolean} operator */
  set(operator) {
    this.operator = operator;
    this.els.form.hidden = operator;
    this.els.operator.hidden = !operator;
    document.body.dataset.operator = operator ? '1' : '0';
    this.onChange(operator);
  }
}
