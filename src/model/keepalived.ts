// keepalived.conf after parsing: a generic tree of keyword nodes (what keepalived's own parser
// builds), then virtual servers with their real servers. Checker blocks stay as nodes; src/health
// turns them into running checkers.

import type { ServiceConfig, DestConfig } from './config.js';

export interface ConfNode {
  keyword: string;
  args: string[];
  /** null for a plain line, [] for an empty block. */
  children: ConfNode[] | null;
  file: string;
  line: number;
}

export interface KaRealServer {
  /** The dest as it goes into the table when up (weight is the configured weight). */
  dest: DestConfig;
  inhibitOnFailure: boolean;
  notifyUp: string;
  notifyDown: string;
  /** TCP_CHECK, HTTP_GET, SSL_GET, MISC_CHECK, PING_CHECK, UDP_CHECK, DNS_CHECK, ... blocks. */
  checkers: ConfNode[];
  node: ConfNode;
}

export interface KaVirtualServer {
  /** The service as it goes into the table (dests empty; health decides who is in). */
  service: ServiceConfig;
  delayLoopS: number;
  quorum: number;
  hysteresis: number;
  quorumUp: string;
  quorumDown: string;
  alpha: boolean;
  omega: boolean;
  inhibitOnFailure: boolean;
  virtualhost: string;
  sorryServer: DestConfig | null;
  sorryServerInhibit: boolean;
  realServers: KaRealServer[];
  node: ConfNode;
}

export interface KeepalivedConfig {
  virtualServers: KaVirtualServer[];
  /** Sections parsed but not acted on (vrrp_instance, ...), for the report. */
  ignored: ConfNode[];
  /** file:line: message, for every problem found (unknown keywords, bad values). */
  problems: string[];
}
