/**
 * A short digest of a probe's source, computed the same way by the server and the browser, so a
 * result (diagnostics, a verifier rejection, an attach, bytecode) names the exact text it was
 * made for and a tab never shows it against other text (a later edit, another lesson's file).
 * Not a security hash: it only tells versions of one learner's text apart.
 */

/** Two 32-bit FNV-1a hashes (different offsets) over the UTF-16 code units, as 16 hex digits. */
export function sourceDigest(text: string): string {
  let a = 0x811c9dc5;
  let b = 0x01000193 ^ text.length;
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x01000193) ^ (b >>> 15);
  }
  return (a >>> 0).toString(16).padStart(8, '0') + (b >>> 0).toString(16).padStart(8, '0');
}
