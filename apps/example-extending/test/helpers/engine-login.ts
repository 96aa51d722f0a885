import { Browserless, followRedirects, parseSimulatorForm } from '@eid/conformance';
import type { Eid, EidOutcome, EidRequest, EidSessionData } from '@eid/core/adapter';
import { commitSessionChange } from '@eid/core/adapter';

/**
 * One person at a browser, logging in through createEid's routes as an adapter would call them: the engine's
 * session changes are committed to a session of its own, and the simulator's OpenID Provider is visited over
 * HTTP with cookies.
 */
export function engineBrowser(eid: Eid, baseUrl: string) {
  let session: EidSessionData | undefined;
  const opBrowser = new Browserless();

  async function call(request: Omit<EidRequest, 'session'>): Promise<EidOutcome> {
    const outcome = await eid.handle({ ...request, session });
    if (outcome.session) {
      await commitSessionChange(outcome.session, {
        read: () => session,
        write: (data) => {
          session = data;
        },
        renew: async () => {
          session = undefined;
        },
      });
    }
    return outcome;
  }

  /** Starts a login, approves it at the OP as `user` (or presses `outcome`), and brings the callback back. */
  async function login(
    provider: string,
    method: string,
    choice: { user?: string; outcome?: 'success' | 'abort' } = {},
  ): Promise<EidOutcome> {
    const started = await call({
      route: 'start',
      httpMethod: 'GET',
      params: { provider, method },
      query: {},
    });
    if (started.response.type !== 'redirect')
      throw new Error(`The start answered ${started.response.status}.`);
    const shown = await followRedirects(opBrowser, started.response.location, baseUrl);
    if (shown.response?.status !== 200) throw new Error(`Expected the approval page at ${shown.url}.`);
    const form = parseSimulatorForm(await shown.response.text(), shown.url);
    const posted = await opBrowser.post(form.action, {
      form: { ...form.hidden, user: choice.user ?? 'no-kari', outcome: choice.outcome ?? 'success' },
    });
    const back = await followRedirects(opBrowser, opBrowser.location(posted), baseUrl);
    const callback = new URL(back.url);
    return call({
      route: 'callback',
      httpMethod: 'GET',
      params: { provider },
      query: Object.fromEntries(callback.searchParams),
      headers: { accept: 'text/html' },
    });
  }

  return { login, call, session: () => session };
}
