// Uniform integers from the service's injected u32 source, as the kernel's
// get_random_u32_below(ceil) (Lemire's multiply-shift with rejection): the high 32 bits of
// ceil * r, redrawing while the low 32 bits fall below 2^32 mod ceil. Exact 64-bit product from
// 16-bit halves; no allocation.

/** Uniform integer in [0, ceil) for 1 <= ceil < 2^32 drawn from next() (uniform u32). */
export function randomBelow(next: () => number, ceil: number): number {
  if (ceil <= 1) return 0;
  // bound = (2^32 - ceil) % ceil = -ceil % ceil in u32 arithmetic
  let bound = -1;
  // The rejection loop ends with probability >= 1/2 per draw; bounded for safety.
  for (let tries = 0; tries < 64; tries++) {
    const r = next() >>> 0;
    const lo = Math.imul(ceil, r) >>> 0;
    if (lo >= ceil || tries === 63) return mulHi(ceil, r);
    if (bound < 0) bound = (4294967296 - ceil) % ceil;
    if (lo >= bound) return mulHi(ceil, r);
  }
  return 0;
}

/** floor(a * b / 2^32) for u32 a, b, exact. */
function mulHi(a: number, b: number): number {
  const bh = b >>> 16;
  const bl = b & 0xffff;
  const x = a * bh; // < 2^48
  const y = a * bl; // < 2^48
  // a*b = x*2^16 + y; hi = floor(x / 2^16) + floor(((x mod 2^16) * 2^16 + y) / 2^32)
  const xh = Math.floor(x / 65536);
  const xl = x - xh * 65536;
  return xh + Math.floor((xl * 65536 + y) / 4294967296);
}
