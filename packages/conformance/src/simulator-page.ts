import type { SimulatorSessionView, TestUser } from '@eid/simulator';

/** The simulator's end-user form (the simulator's README): where it posts, its hidden fields and the test users offered. */
export interface SimulatorForm {
  action: string;
  hidden: Record<string, string>;
  users: string[];
}

function decodeEntities(text: string): string {
  return text
    .replace(/&#(\d+);/g, (_, code: string) => String.fromCodePoint(Number(code)))
    .replace(/&#x([0-9a-f]+);/gi, (_, code: string) => String.fromCodePoint(Number.parseInt(code, 16)))
    .replaceAll('&quot;', '"')
    .replaceAll('&lt;', '<')
    .replaceAll('&gt;', '>')
    .replaceAll('&amp;', '&');
}

function attributes(tag: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const match of tag.matchAll(
    /([a-zA-Z_:][-a-zA-Z0-9_:.]*)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))/g,
  )) {
    out[match[1]!.toLowerCase()] = decodeEntities(match[2] ?? match[3] ?? match[4] ?? '');
  }
  return out;
}

/** Reads the approval form of a simulator page, as a browser would before submitting it. */
export function parseSimulatorForm(html: string, pageUrl: string): SimulatorForm {
  const form = /<form\b[^>]*>([\s\S]*?)<\/form>/i.exec(html);
  if (!form) throw new Error('The simulator page has no <form>.');
  const formAttributes = attributes(/<form\b[^>]*>/i.exec(form[0])![0]);
  if ((formAttributes.method ?? 'get').toLowerCase() !== 'post')
    throw new Error('The simulator form does not POST.');
  const hidden: Record<string, string> = {};
  for (const [tag] of form[1]!.matchAll(/<input\b[^>]*>/gi)) {
    const input = attributes(tag);
    if (input.type?.toLowerCase() === 'hidden' && input.name) hidden[input.name] = input.value ?? '';
  }
  const select = /<select\b[^>]*\bname\s*=\s*"user"[^>]*>([\s\S]*?)<\/select>/i.exec(form[1]!);
  if (!select) throw new Error('The simulator form has no <select name="user">.');
  const users = [...select[1]!.matchAll(/<option\b[^>]*>/gi)].map(([tag]) => attributes(tag).value ?? '');
  return { action: new URL(formAttributes.action || pageUrl, pageUrl).toString(), hidden, users };
}

export async function simulatorUsers(simulatorUrl: string): Promise<TestUser[]> {
  const response = await fetch(`${simulatorUrl}/__sim/users`);
  if (!response.ok) throw new Error(`GET /__sim/users answered ${response.status}.`);
  return (await response.json()) as TestUser[];
}

export async function simulatorSessions(simulatorUrl: string): Promise<SimulatorSessionView[]> {
  const response = await fetch(`${simulatorUrl}/__sim/sessions`);
  if (!response.ok) throw new Error(`GET /__sim/sessions answered ${response.status}.`);
  return (await response.json()) as SimulatorSessionView[];
}

/** Signicat's open statuses: CREATED, and WAITING_FOR_USER once the user is at the eID. */
export function openSignicatStatus(status: string): boolean {
  return status === 'CREATED' || status === 'WAITING_FOR_USER';
}

/** The newest pending simulator session that shows `bindingMessage`. */
export async function sessionByBindingMessage(
  simulatorUrl: string,
  bindingMessage: string,
): Promise<SimulatorSessionView> {
  const found = (await simulatorSessions(simulatorUrl))
    .filter((session) => session.bindingMessage === bindingMessage && openSignicatStatus(session.status))
    .at(-1);
  if (!found) throw new Error('No pending simulator session shows that binding message.');
  return found;
}

/** Finishes a simulator session as a test would without a browser: `POST /__sim/sessions/:id/complete`. */
export async function completeSimulatorSession(
  simulatorUrl: string,
  id: string,
  outcome: 'success' | 'abort' | 'error',
  user?: string,
): Promise<Response> {
  return fetch(`${simulatorUrl}/__sim/sessions/${encodeURIComponent(id)}/complete`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ outcome, ...(user ? { user } : {}) }),
  });
}
