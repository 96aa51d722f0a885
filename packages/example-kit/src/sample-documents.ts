import type { SignableDocument } from '@eid/core';

/** The examples' agreement as text: what a shop might ask a customer to accept with their eID. */
export const SAMPLE_AGREEMENT = `Membership agreement

I join the Example Shop customer club.
I may leave at any time by writing to the shop.
The shop keeps my purchases for seven years, as the accounting law requires.

Signed with an electronic ID.`;

/**
 * A one-page PDF, built here so the example ships no binary file: the objects, then the cross-reference table
 * with each object's byte offset, as PDF 1.7 (ISO 32000-1, 7.5) lays a file out.
 */
export function samplePdf(): Buffer {
  const text = 'Sample contract: signed with an electronic ID.';
  const stream = `BT /F1 14 Tf 72 720 Td (${text}) Tj ET`;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    '<< /Type /Pages /Kids [3 0 R] /Count 1 >>',
    '<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>',
    `<< /Length ${stream.length} >>\nstream\n${stream}\nendstream`,
    '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>',
  ];
  let pdf = '%PDF-1.7\n';
  const offsets: number[] = [];
  objects.forEach((body, index) => {
    offsets.push(pdf.length);
    pdf += `${index + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = pdf.length;
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const offset of offsets) pdf += `${String(offset).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(pdf, 'latin1');
}

/** The documents of the examples' resolver, by id: any logged-in person may sign either. */
export const SAMPLE_DOCUMENTS: Readonly<Record<string, SignableDocument>> = {
  'sample-text': { title: 'Membership agreement', contentType: 'text/plain', content: SAMPLE_AGREEMENT },
  'sample-pdf': { title: 'Sample contract (PDF)', contentType: 'application/pdf', content: samplePdf() },
};
