// qrcode 1.5.4: the current release, plain JavaScript with no native build or download step, `engines` node
// >=10.13 (so Node 20 is fine), and its `toString({ type: 'svg' })` draws server-side with no canvas.
import QRCode from 'qrcode';

/** Where each example app serves `renderQrSvg`, as `GET /qr.svg?data=<qrData>`. */
export const QR_SVG_PATH = '/qr.svg';

/**
 * The longest `data` drawn. Swedish BankID's animated code (`bankid.<uuid>.<seconds>.<64 hex>`) is about 110
 * characters; the cap keeps the route from drawing arbitrary large codes for anyone who asks.
 */
const MAX_DATA_LENGTH = 256;
/** Printable ASCII only: QR payloads of the eIDs are tokens, never text with spaces or control characters. */
const PRINTABLE = /^[\x21-\x7e]+$/;
/** Displayed size in CSS pixels; the SVG scales, and with a size of its own `<img>` has a natural width. */
const SIZE = 240;

export interface QrSvgResponse {
  status: 200 | 400;
  headers: Record<string, string>;
  body: string;
}

const COMMON_HEADERS = {
  // Each code is valid for a second: nothing may keep it.
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
  'cross-origin-resource-policy': 'same-origin',
  // Opened on its own, the SVG document may load and run nothing.
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'; sandbox",
};

/**
 * The response for `GET /qr.svg?data=…`: the QR code of `data` as an SVG image, or a 400 for a missing,
 * repeated, oversized or non-printable `data`. The SVG holds only paths, never the data as text.
 */
export async function renderQrSvg(data: unknown): Promise<QrSvgResponse> {
  if (typeof data !== 'string' || data.length > MAX_DATA_LENGTH || !PRINTABLE.test(data)) {
    return {
      status: 400,
      headers: { ...COMMON_HEADERS, 'content-type': 'text/plain; charset=utf-8' },
      body: `data must be given once, 1 to ${MAX_DATA_LENGTH} printable ASCII characters.\n`,
    };
  }
  const svg = await QRCode.toString(data, { type: 'svg', errorCorrectionLevel: 'M', margin: 4, width: SIZE });
  return { status: 200, headers: { ...COMMON_HEADERS, 'content-type': 'image/svg+xml' }, body: svg };
}
