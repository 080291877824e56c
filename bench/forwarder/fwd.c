/* Minimal batched AF_PACKET tools for the live I/O benchmarks (bench/io):
 *
 *   fwd fwd IN OUT DSTMAC [BATCH]   the userspace ceiling: recvmmsg a batch on IN (blocking poll),
 *                                    rewrite Ethernet dst := DSTMAC and src := OUT's MAC (what a DR
 *                                    director does to a frame), sendmmsg the batch on OUT. Prints
 *                                    "fwd rx=N tx=N" on SIGTERM/SIGINT.
 *   fwd gen IF DSTMAC SRCIP DSTIP DPORT PPS SECONDS [SIZE] [FLOWS]
 *                                    the traffic generator: UDP frames of SIZE bytes (Ethernet
 *                                    included, default 64) from FLOWS source ports, offered at PPS
 *                                    frames/s in sendmmsg batches paced by the monotonic clock;
 *                                    PPS 0 = as fast as possible. Prints "gen sent=N secs=S".
 *
 * Both use PACKET_QDISC_BYPASS and PACKET_IGNORE_OUTGOING like uvs's addon. Build: build.sh. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#define BATCH_MAX 256
#define SNAP 2048

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static int open_if(const char *name, uint8_t mac[6]) {
  unsigned idx = if_nametoindex(name);
  if (!idx) { fprintf(stderr, "fwd: no such interface '%s'\n", name); exit(2); }
  int fd = socket(AF_PACKET, SOCK_RAW, 0);
  if (fd < 0) { perror("fwd: AF_PACKET socket"); exit(2); }
  int one = 1, rb = 8 << 20;
  setsockopt(fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
  setsockopt(fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one);
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof rb) < 0) setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
  struct sockaddr_ll sll = {0};
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)idx;
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) { perror("fwd: bind"); exit(2); }
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) { perror("fwd: SIOCGIFHWADDR"); exit(2); }
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  return fd;
}

static int parse_mac(const char *s, uint8_t m[6]) {
  return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6 ? 0 : -1;
}

static uint16_t csum(const uint8_t *p, int n) {
  uint32_t s = 0;
  for (int i = 0; i + 1 < n; i += 2) s += (uint32_t)(p[i] << 8 | p[i + 1]);
  if (n & 1) s += (uint32_t)(p[n - 1] << 8);
  while (s >> 16) s = (s & 0xffff) + (s >> 16);
  return (uint16_t)~s;
}

static int do_fwd(int argc, char **argv) {
  if (argc < 5) { fprintf(stderr, "usage: fwd fwd IN OUT DSTMAC [BATCH]\n"); return 2; }
  uint8_t inmac[6], outmac[6], dst[6];
  if (parse_mac(argv[4], dst) < 0) { fprintf(stderr, "fwd: bad MAC %s\n", argv[4]); return 2; }
  int batch = argc > 5 ? atoi(argv[5]) : 64;
  if (batch < 1 || batch > BATCH_MAX) batch = 64;
  int in = open_if(argv[2], inmac);
  int out = strcmp(argv[2], argv[3]) == 0 ? in : open_if(argv[3], outmac);
  if (out == in) memcpy(outmac, inmac, 6);
  static uint8_t bufs[BATCH_MAX][SNAP];
  static struct mmsghdr rx[BATCH_MAX], tx[BATCH_MAX];
  static struct iovec riov[BATCH_MAX], tiov[BATCH_MAX];
  for (int i = 0; i < BATCH_MAX; i++) {
    riov[i].iov_base = bufs[i]; riov[i].iov_len = SNAP;
    rx[i].msg_hdr.msg_iov = &riov[i]; rx[i].msg_hdr.msg_iovlen = 1;
    tiov[i].iov_base = bufs[i];
    tx[i].msg_hdr.msg_iov = &tiov[i]; tx[i].msg_hdr.msg_iovlen = 1;
  }
  signal(SIGTERM, on_sig);
  signal(SIGINT, on_sig);
  uint64_t nrx = 0, ntx = 0;
  printf("fwd ready\n");
  fflush(stdout);
  while (!stop) {
    int n = recvmmsg(in, rx, (unsigned)batch, MSG_DONTWAIT, NULL);
    if (n <= 0) {
      struct pollfd p = {.fd = in, .events = POLLIN};
      poll(&p, 1, 100);
      continue;
    }
    nrx += (uint64_t)n;
    int m = 0;
    for (int i = 0; i < n; i++) {
      unsigned len = rx[i].msg_len;
      uint8_t *f = bufs[i];
      if (len < 34 || f[12] != 0x08 || f[13] != 0x00) continue; /* IPv4 only, as a director */
      memcpy(f, dst, 6);
      memcpy(f + 6, outmac, 6);
      tiov[m].iov_base = f;
      tiov[m].iov_len = len;
      m++;
    }
    int off = 0;
    while (off < m) {
      int r = sendmmsg(out, tx + off, (unsigned)(m - off), 0);
      if (r <= 0) break;
      off += r;
    }
    ntx += (uint64_t)off;
  }
  printf("fwd rx=%llu tx=%llu\n", (unsigned long long)nrx, (unsigned long long)ntx);
  return 0;
}

static int do_gen(int argc, char **argv) {
  if (argc < 9) { fprintf(stderr, "usage: fwd gen IF DSTMAC SRCIP DSTIP DPORT PPS SECONDS [SIZE] [FLOWS]\n"); return 2; }
  uint8_t smac[6], dmac[6];
  int fd = open_if(argv[2], smac);
  if (parse_mac(argv[3], dmac) < 0) { fprintf(stderr, "gen: bad MAC\n"); return 2; }
  struct in_addr sip, dip;
  if (!inet_aton(argv[4], &sip) || !inet_aton(argv[5], &dip)) { fprintf(stderr, "gen: bad address\n"); return 2; }
  int dport = atoi(argv[6]);
  double pps = atof(argv[7]);
  double secs = atof(argv[8]);
  int size = argc > 9 ? atoi(argv[9]) : 64;
  int flows = argc > 10 ? atoi(argv[10]) : 64;
  if (size < 60) size = 60;
  if (size > 1514) size = 1514;
  if (flows < 1) flows = 1;
  if (flows > BATCH_MAX * 64) flows = BATCH_MAX * 64;
  /* One template per flow slot in the batch ring; source port varies by flow. */
  static uint8_t frames[BATCH_MAX][SNAP];
  static struct mmsghdr msgs[BATCH_MAX];
  static struct iovec iov[BATCH_MAX];
  const int batch = 32;
  for (int i = 0; i < BATCH_MAX; i++) {
    uint8_t *f = frames[i];
    memset(f, 0, SNAP);
    memcpy(f, dmac, 6);
    memcpy(f + 6, smac, 6);
    f[12] = 0x08; f[13] = 0x00;
    uint8_t *ip = f + 14;
    int iplen = size - 14;
    ip[0] = 0x45; ip[2] = (uint8_t)(iplen >> 8); ip[3] = (uint8_t)iplen;
    ip[8] = 64; ip[9] = 17;
    memcpy(ip + 12, &sip, 4);
    memcpy(ip + 16, &dip, 4);
    ip[10] = ip[11] = 0;
    uint16_t c = csum(ip, 20);
    ip[10] = (uint8_t)(c >> 8); ip[11] = (uint8_t)c;
    uint8_t *udp = ip + 20;
    udp[2] = (uint8_t)(dport >> 8); udp[3] = (uint8_t)dport;
    int ulen = iplen - 20;
    udp[4] = (uint8_t)(ulen >> 8); udp[5] = (uint8_t)ulen;
    iov[i].iov_base = f; iov[i].iov_len = (size_t)size;
    msgs[i].msg_hdr.msg_iov = &iov[i]; msgs[i].msg_hdr.msg_iovlen = 1;
  }
  struct timespec t0, now;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  uint64_t sent = 0, seq = 0;
  double el = 0;
  signal(SIGTERM, on_sig);
  while (!stop) {
    clock_gettime(CLOCK_MONOTONIC, &now);
    el = (double)(now.tv_sec - t0.tv_sec) + (double)(now.tv_nsec - t0.tv_nsec) / 1e9;
    if (el >= secs) break;
    if (pps > 0 && (double)sent >= pps * el) {
      struct timespec ts = {0, 20000};
      nanosleep(&ts, NULL);
      continue;
    }
    for (int i = 0; i < batch; i++) {
      uint16_t sport = (uint16_t)(10000 + (seq + (uint64_t)i) % (uint64_t)flows);
      uint8_t *udp = frames[i] + 34;
      udp[0] = (uint8_t)(sport >> 8); udp[1] = (uint8_t)sport;
    }
    int r = sendmmsg(fd, msgs, (unsigned)batch, 0);
    if (r > 0) { sent += (uint64_t)r; seq += (uint64_t)r; }
  }
  printf("gen sent=%llu secs=%.3f\n", (unsigned long long)sent, el);
  return 0;
}

int main(int argc, char **argv) {
  if (argc >= 2 && strcmp(argv[1], "fwd") == 0) return do_fwd(argc, argv);
  if (argc >= 2 && strcmp(argv[1], "gen") == 0) return do_gen(argc, argv);
  fprintf(stderr, "usage: fwd fwd IN OUT DSTMAC [BATCH] | fwd gen IF DSTMAC SRCIP DSTIP DPORT PPS SECONDS [SIZE] [FLOWS]\n");
  return 2;
}
