import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ProviderLogout, SignResult } from './engine/contract.js';
import type { EidErrorCode } from './errors.js';
import type { Identity } from './identity.js';
import type { SignContentType } from './providers/types.js';

export type Flow = 'redirect' | 'headless';
export type TransactionStatus = 'pending' | 'complete' | 'failed' | 'cancelled' | 'expired';
/**
 * What a transaction is for: a `login` puts the identity into the bound browser's session; a `verify` (an
 * operator confirming someone else) never does, and keeps the verified identity for the operator to see; a `sign`
 * (the logged-in person signing a document) never touches the session, and keeps the signature for the app.
 */
export type TransactionKind = 'login' | 'verify' | 'sign';

/** What a `sign` transaction keeps of its document from the start: never the content. */
export interface SigningRequest {
  documentId: string;
  title: string;
  contentType: SignContentType;
  /** SHA-256 of the document's bytes, lower-case hex. */
  sha256: string;
  /** HMAC of the one person allowed to sign (`ninKey`), when the signer is restricted; never the number. */
  signerKey?: string;
}

/** One attempt to authenticate, from start to its single final state (docs/http-contract.md §3-4). */
export interface Transaction {
  id: string;
  /** Absent in transactions stored before kinds existed: those are logins (see `kindOf`). */
  kind?: TransactionKind;
  provider: string;
  method: string;
  flow: Flow;
  status: TransactionStatus;
  /** Incremented on every write; stores compare it to make each transition atomic. */
  version: number;
  /** Epoch milliseconds. */
  createdAt: number;
  expiresAt: number;
  /** The store may forget the transaction after this (kept past expiry to recognise replays). */
  retainUntil: number;
  /** The provider's own id for the session. */
  reference: string;
  /** What the user must see in the headless flow. */
  bindingMessage?: string;
  /** Data for a QR code, where the provider offers one. */
  qrData?: string;
  /**
   * Not kept any more: the provider's address is answered to the start and never read again (it was a fifth of a
   * pending transaction's memory). Left in the type for stores that still hold transactions written with it.
   */
  redirectUrl?: string;
  returnTo: string;
  /** SHA-256 of the browser binding secret; the secret itself lives only in the browser's session. */
  bindingHash: string;
  /**
   * A hash of the client address that started it (of its /64 for IPv6), for the cap on pending transactions
   * per address; absent when the adapter gave no address.
   */
  addressKey?: string;
  /** Provider-private values to keep between start and completion (PKCE verifier, nonce, ...). */
  providerState?: Record<string, string>;
  /** Set when the provider reported success but no browser session has taken the identity yet. */
  identity?: Identity;
  /**
   * A completed `verify` transaction: the person the operator verified, shown to the bound browser by the status
   * route until the transaction is forgotten (`retainUntil`). Never written into a session.
   */
  verified?: Identity;
  /** A `sign` transaction's document, from its start. */
  signing?: SigningRequest;
  /** A completed `sign` transaction: the signature, shown to the bound browser and the app until forgotten. */
  signature?: SignResult;
  /** With `signature`: the signed artefact or evidence as the provider returned it, base64. */
  evidence?: string;
  /** With `identity`, when the provider gave an end-session hint; handed over and removed with it. */
  providerLogout?: ProviderLogout;
  /** Set once the identity has been written into a browser session: the transaction is spent. */
  consumedAt?: number;
  error?: { code: EidErrorCode; message: string };
  finishedAt?: number;
  /**
   * Until when one request holds the right to ask the provider (epoch ms): serialises one-time code
   * exchanges and throttles polling.
   */
  claimedUntil?: number;
}

export const TERMINAL_STATUSES: readonly TransactionStatus[] = ['complete', 'failed', 'cancelled', 'expired'];

export function kindOf(transaction: Pick<Transaction, 'kind'>): TransactionKind {
  return transaction.kind ?? 'login';
}

/** 256 random bits, base64url: transaction ids and browser binding secrets. */
export function randomToken(bytes = 32): string {
  return randomBytes(bytes).toString('base64url');
}

export function hashBinding(secret: string): string {
  // One-shot `hash`: a third of createHash's cost, and every status poll checks a binding.
  return hash('sha256', secret, 'base64url');
}

/** Constant-time check that `secret` is the one whose hash the transaction holds. */
export function bindingMatches(
  transaction: Pick<Transaction, 'bindingHash'>,
  secret: string | undefined,
): boolean {
  if (typeof secret !== 'string' || secret.length === 0) return false;
  const expected = Buffer.from(transaction.bindingHash, 'utf8');
  const actual = Buffer.from(hashBinding(secret), 'utf8');
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Transaction ids are our own base64url tokens; anything else is rejected before touching the store. */
export function isTransactionId(value: unknown): value is string {
  return typeof value === 'string' && /^[A-Za-z0-9_-]{22,64}$/.test(value);
}
