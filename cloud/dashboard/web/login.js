// The login: a viewer or operator token typed once is exchanged for an HttpOnly session cookie
// (POST /api/login); the page only remembers what it may do, never the token. Reading the fleet
// needs a viewer login at least; rollout actions need the operator.
import { getJson, postJson } from './dom.js';

export class Login {
  /**
   * @param {{ form: HTMLFormElement, token: HTMLInputElement, operator: HTMLElement,
   *   logout: HTMLButtonElement, message: HTMLElement }} els
   * @param {(operator: boolean, viewer: boolean) => void} onChange
   */
  constructor(els, onChange) {
    this.els = els;
    this.onChange = onChange;
    this.operator = false;
    this.viewer = false;
    els.form.addEventListener('submit', (ev) => {
      ev.preventDefault();
      void this.login(els.token.value);
    });
    els.logout.addEventListener('click', () => void this.logout());
  }

  async check() {
    try {
      const s = await getJson('/api/session');
      this.set(s.operator === true, s.viewer === true);
    } catch {
      this.set(false, false);
    }
  }

  /** @param {string} token */
  async login(token) {
    const { status, body } = await postJson('/api/login', { token });
    this.els.token.value = '';
    if (status === 200) {
      this.els.message.textContent = '';
      this.set(body?.operator === true, true);
    } else {
      this.els.message.className = 'message error';
      this.els.message.textContent =
        status === 401 ? 'wrong token' : `login failed (${status}): ${body?.error ?? ''}`;
      this.set(false, this.viewer);
    }
  }

  async logout() {
    await postJson('/api/logout');
    this.set(false, false);
  }

  /**
   * @param {boolean} operator
   * @param {boolean} [viewer] may read (an operator always may)
   */
  set(operator, viewer = operator) {
    this.operator = operator;
    this.viewer = operator || viewer;
    this.els.form.hidden = operator;
    this.els.operator.hidden = !operator;
    document.body.dataset.operator = operator ? '1' : '0';
    document.body.dataset.viewer = this.viewer ? '1' : '0';
    if (!this.viewer && !this.els.message.textContent) {
      this.els.message.className = 'message';
      this.els.message.textContent = 'log in (viewer or operator token) to see the fleet';
    }
    this.onChange(operator, this.viewer);
  }
}
