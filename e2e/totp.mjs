// RFC 6238 time-based one-time passwords (HMAC-SHA1, 30-second step,
// 6 digits) with a base32 secret, as authenticator apps compute them.
import { createHmac } from 'node:crypto';

export const STEP_SECONDS = 30;
const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

// base32Decode decodes RFC 4648 base32; case, spaces, dashes and padding are ignored.
export function base32Decode(text) {
  const clean = String(text).toUpperCase().replace(/[\s=-]/g, '');
  let bits = 0;
  let value = 0;
  const out = [];
  for (const ch of clean) {
    const idx = ALPHABET.indexOf(ch);
    if (idx < 0) throw new Error(`invalid base32 character ${JSON.stringify(ch)}`);
    value = (value << 5) | idx;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((value >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

// hotp is RFC 4226: the code for a counter value.
export function hotp(key, counter, digits = 6) {
  const msg = Buffer.alloc(8);
  msg.writeBigUInt64BE(BigInt(counter));
  const mac = createHmac('sha1', key).update(msg).digest();
  const offset = mac[mac.length - 1] & 0x0f;
  const bin = ((mac[offset] & 0x7f) << 24) | (mac[offset + 1] << 16) | (mac[offset + 2] << 8) | mac[offset + 3];
  return String(bin % 10 ** digits).padStart(digits, '0');
}

// timeStep is the TOTP counter for a time in milliseconds.
export function timeStep(ms = Date.now()) {
  return Math.floor(ms / 1000 / STEP_SECONDS);
}

// totp returns the code for a base32 secret at a time (default: now).
export function totp(secret, ms = Date.now()) {
  return hotp(base32Decode(secret), timeStep(ms));
}

// codeAfter waits until the time step is later than `usedStep` (the server
// refuses a code of a step it has already accepted) and returns
// {code, step} for the current step.
export async function codeAfter(secret, usedStep) {
  for (;;) {
    const now = Date.now();
    const step = timeStep(now);
    if (step > usedStep) return { code: totp(secret, now), step };
    const wait = (step + 1) * STEP_SECONDS * 1000 - now + 250;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}
