/**
 * The settings an app needs to talk to this simulator, under the environment variable names the example apps
 * read (packages/example-kit/src/backends.ts): what `eid-simulator` prints and `GET /__sim/config` serves.
 */
export type SimulatorConfig = Record<string, string>;

interface ConfigSource {
  readonly signicat: { clientId: string; clientSecret: string; accountId: string; baseUrl: string };
  readonly next: { username: string; password: string; partnerId: string; baseUrl: string };
  readonly zignsec: { token: string; baseUrl: string };
  readonly bankIdNo: { issuer: string; clientId: string; clientSecret: string };
  readonly idporten: { issuer: string; clientId: string; clientSecret: string };
}

/** BankID Norway's simulated client may ask for the national identity number, as the example shows it. */
const BANKID_NO_SCOPE = 'openid profile nnin_altsub';

export function appConfig(sim: ConfigSource, zignsecWebhookSecret: string): SimulatorConfig {
  return {
    SIGNICAT_BASE_URL: sim.signicat.baseUrl,
    SIGNICAT_CLIENT_ID: sim.signicat.clientId,
    SIGNICAT_CLIENT_SECRET: sim.signicat.clientSecret,
    SIGNICAT_ACCOUNT_ID: sim.signicat.accountId,
    NEXT_BASE_URL: sim.next.baseUrl,
    NEXT_USERNAME: sim.next.username,
    NEXT_PASSWORD: sim.next.password,
    NEXT_PARTNER_ID: sim.next.partnerId,
    ZIGNSEC_BASE_URL: sim.zignsec.baseUrl,
    ZIGNSEC_TOKEN: sim.zignsec.token,
    ZIGNSEC_WEBHOOK_SECRET: zignsecWebhookSecret,
    BANKID_NO_ISSUER: sim.bankIdNo.issuer,
    BANKID_NO_CLIENT_ID: sim.bankIdNo.clientId,
    BANKID_NO_CLIENT_SECRET: sim.bankIdNo.clientSecret,
    BANKID_NO_SCOPE,
    IDPORTEN_ISSUER: sim.idporten.issuer,
    IDPORTEN_CLIENT_ID: sim.idporten.clientId,
    IDPORTEN_CLIENT_SECRET: sim.idporten.clientSecret,
  };
}

/**
 * `NAME=value` lines, as a `.env` file holds them (`node --env-file`, dotenv): a value with anything but
 * letters, digits and `_-.:/@+=` is double-quoted, with `\` and `"` escaped.
 */
export function configLines(config: SimulatorConfig): string[] {
  return Object.entries(config).map(([name, value]) => `${name}=${quoted(value)}`);
}

function quoted(value: string): string {
  if (/^[A-Za-z0-9_\-.:/@+=]*$/.test(value)) return value;
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}
