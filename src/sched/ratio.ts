// Exact arithmetic helpers shared by the schedulers. The kernel compares load ratios by
// cross-multiplying in 64-bit signed integers ((__s64)a * wb > (__s64)b * wa); JS numbers are exact
// only below 2^53, so cmpProducts() splits the weight into 16-bit halves when a product is larger.
// No allocation: it runs inside schedule() on the new-connection path.

const SAFE = Number.MAX_SAFE_INTEGER;

/**
 * Sign of a*b - c*d (<0, 0, >0), exact for non-negative integers a, c < 2^37 (connection
 * overheads: activeConns*256 + inactConns) and b, d < 2^32 (weights), like the kernel's s64 products.
 */
export function cmpProducts(a: number, b: number, c: number, d: number): number {
  const p1 = a * b;
  const p2 = c * d;
  // A double product <= 2^53-1 is the exact product (rounding is monotonic), so this is exact.
  if (p1 <= SAFE && p2 <= SAFE) return p1 - p2;
  // a*b = a*bh*2^16 + a*bl with bh, bl < 2^16: both partial products < 2^53, exact.
  const bh = Math.floor(b / 65536);
  const bl = b - bh * 65536;
  const dh = Math.floor(d / 65536);
  const dl = d - dh * 65536;
  const hi = a * bh - c * dh;
  const lo = a * bl - c * dl;
  // hi*65536 is exact (power-of-two scaling); a rounded sum never changes sign nor becomes 0
  // unless the exact sum is 0, so the sign is exact.
  return hi * 65536 + lo;
}

/** Greatest common divisor of two positive integers (the kernel's gcd()). */
export function gcd(a: number, b: number): number {
  while (b !== 0) {
    const t = a % b;
    a = b;
    b = t;
  }
  return a;
}
