// Text ↔ address conversions with the exact acceptance rules of the C library calls ipvsadm
// uses: inet_aton (1–4 parts, each decimal, octal with a leading 0 or hex with 0x; trailing
// whitespace ends the address), inet_pton(AF_INET6) and glibc's inet_ntop(AF_INET6) (longest run
// of two or more zero groups compressed, first run on ties, dotted tail for v4-mapped and
// v4-compatible addresses), and strtol-based string_to_number.

/** glibc inet_aton(): u32 host order, or null. */
export function inetAton(text: string): number | null {
  const parts: number[] = [];
  let i = 0;
  const n = text.length;
  for (;;) {
    if (i >= n || !isDigit(text.charCodeAt(i))) return null;
    let base = 10;
    let val = 0;
    if (text[i] === '0') {
      base = 8;
      i++;
      if (i < n && (text[i] === 'x' || text[i] === 'X')) {
        base = 16;
        i++;
      }
    }
    let digits = 0;
    for (; i < n; i++) {
      const c = text.charCodeAt(i);
      let d = -1;
      if (isDigit(c)) d = c - 48;
      else if (base === 16 && ((c >= 97 && c <= 102) || (c >= 65 && c <= 70))) d = (c | 0x20) - 87;
      if (d < 0) break;
      if (base === 8 && d > 7) return null;
      val = val * base + d;
      digits++;
      if (val > 0xffffffff) return null;
    }
    void digits;
    parts.push(val);
    if (i < n && text[i] === '.') {
      if (parts.length >= 4) return null;
      i++;
      continue;
    }
    break;
  }
  if (i < n && !/\s/.test(text[i]!)) return null;
  let value: number;
  switch (parts.length) {
    case 1:
      value = parts[0]!;
      break;
    case 2:
      if (parts[0]! > 0xff || parts[1]! > 0xffffff) return null;
      value = parts[0]! * 0x1000000 + parts[1]!;
      break;
    case 3:
      if (parts[0]! > 0xff || parts[1]! > 0xff || parts[2]! > 0xffff) return null;
      value = parts[0]! * 0x1000000 + parts[1]! * 0x10000 + parts[2]!;
      break;
    default:
      if (parts.some((p) => p > 0xff)) return null;
      value = parts[0]! * 0x1000000 + parts[1]! * 0x10000 + parts[2]! * 0x100 + parts[3]!;
  }
  return value >>> 0;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/** Strict dotted quad (inet_pton(AF_INET)). */
export function inetPton4(text: string): number | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return null;
  let v = 0;
  for (let k = 1; k <= 4; k++) {
    const o = Number(m[k]);
    if (o > 255 || (m[k]!.length > 1 && m[k]![0] === '0')) return null;
    v = v * 256 + o;
  }
  return v >>> 0;
}

/** inet_pton(AF_INET6): eight 16-bit groups, or null. */
export function inetPton6(text: string): number[] | null {
  if (text.length === 0 || text.length > 45) return null;
  let head: string[] = [];
  let tail: string[] = [];
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return null;
    const a = text.slice(0, dbl);
    const b = text.slice(dbl + 2);
    head = a === '' ? [] : a.split(':');
    tail = b === '' ? [] : b.split(':');
  } else {
    head = text.split(':');
  }
  const groups = (list: string[], allowV4Last: boolean): number[] | null => {
    const out: number[] = [];
    for (let k = 0; k < list.length; k++) {
      const g = list[k]!;
      if (allowV4Last && k === list.length - 1 && g.includes('.')) {
        const v4 = inetPton4(g);
        if (v4 === null) return null;
        out.push(v4 >>> 16, v4 & 0xffff);
        continue;
      }
      if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
      out.push(parseInt(g, 16));
    }
    return out;
  };
  const h = groups(head, dbl < 0);
  const t = groups(tail, true);
  if (!h || !t) return null;
  if (dbl < 0) return h.length === 8 ? h : null;
  if (h.length + t.length > 7) return null;
  return [...h, ...new Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** glibc inet_ntop(AF_INET6). */
export function inetNtop6(w: readonly number[]): string {
  let bestBase = -1;
  let bestLen = 0;
  let curBase = -1;
  let curLen = 0;
  for (let i = 0; i < 8; i++) {
    if (w[i] === 0) {
      if (curBase < 0) {
        curBase = i;
        curLen = 1;
      } else curLen++;
    } else if (curBase >= 0) {
      if (bestBase < 0 || curLen > bestLen) {
        bestBase = curBase;
        bestLen = curLen;
      }
      curBase = -1;
    }
  }
  if (curBase >= 0 && (bestBase < 0 || curLen > bestLen)) {
    bestBase = curBase;
    bestLen = curLen;
  }
  if (bestBase >= 0 && bestLen < 2) bestBase = -1;
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (bestBase >= 0 && i >= bestBase && i < bestBase + bestLen) {
      if (i === bestBase) out += ':';
      continue;
    }
    if (i !== 0) out += ':';
    if (i === 6 && bestBase === 0 && (bestLen === 6 || (bestLen === 5 && w[5] === 0xffff))) {
      out += `${w[6]! >>> 8}.${w[6]! & 255}.${w[7]! >>> 8}.${w[7]! & 255}`;
      break;
    }
    out += w[i]!.toString(16);
  }
  if (bestBase >= 0 && bestBase + bestLen === 8) out += ':';
  return out;
}

/** The four 32-bit words of an IPv6 address, for sorting as libipvs does. */
export function ipv6Words32(text: string): number[] {
  const g = inetPton6(text) ?? [0, 0, 0, 0, 0, 0, 0, 0];
  return [0, 1, 2, 3].map((k) => ((g[2 * k]! << 16) | g[2 * k + 1]!) >>> 0);
}

/** ipvsadm's string_to_number(): strtol base 10 over the whole string, within [min, max], else -1. */
export function stringToNumber(s: string, min: number, max: number): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)(\d+)$/.exec(s);
  if (!m) return -1;
  const v = Number(m[2]) * (m[1] === '-' ? -1 : 1);
  if (!Number.isFinite(v) || v < min || v > max) return -1;
  return v;
}
