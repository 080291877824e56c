// Checker kinds by their keepalived.conf keyword. The manager looks a block up here; no switch
// on checker names anywhere else.

import type { CheckerKind } from './checker.js';
import { dnsCheckKind } from './dns-check.js';
import { httpGetKind, sslGetKind } from './http-get.js';
import { miscCheckKind } from './misc-check.js';
import { pingCheckKind } from './ping-check.js';
import { tcpCheckKind } from './tcp-check.js';
import { udpCheckKind } from './udp-check.js';

const KINDS: readonly CheckerKind[] = [tcpCheckKind, httpGetKind, sslGetKind, miscCheckKind, pingCheckKind, udpCheckKind, dnsCheckKind];

const BY_KEYWORD = new Map<string, CheckerKind>(KINDS.map((k) => [k.keyword, k]));

export function checkerKind(keyword: string): CheckerKind | undefined {
  return BY_KEYWORD.get(keyword);
}

export function checkerKeywords(): string[] {
  return KINDS.map((k) => k.keyword);
}
