/* Minimal batched AF_XDP forwarder for the live I/O benchmarks (bench/pps.ts, forwarder c-xdp): the
 * same job as `fwd fwd` in fwd.c over AF_XDP sockets instead of AF_PACKET, to see whether AF_XDP
 * (copy mode: veth has no zero-copy) is cheaper per frame here.
 *
 *   xdp-fwd IN OUT DSTMAC [BATCH]
 *
 * Loads a hand-assembled XDP program (no clang/libbpf on the bench machines) that redirects every
 * frame on IN to the AF_XDP socket of its rx queue (XSKMAP) and passes it to the stack if there is
 * none; attaches it to IN through a BPF link (native/driver mode, generic mode if the driver
 * refuses), so it is detached when the process exits however it exits. One AF_XDP socket on IN
 * queue 0 receives, one on OUT queue 0 transmits; each has its own UMEM. Per batch: take up to
 * BATCH rx descriptors, rewrite Ethernet dst := DSTMAC and src := OUT's MAC, copy the frame into a
 * tx UMEM frame, post it on the tx ring, kick with sendto(), reclaim completions, refill the fill
 * ring. Prints "xdp-fwd ready (xdp mode: drv|skb)" when attached and "xdp-fwd rx=N tx-posted=N"
 * on SIGTERM/SIGINT.
 * Exit 2 with a message when not root, an interface is missing, or the program fails to load
 * (with the verifier's log) or attach. Build: build.sh. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <linux/if_xdp.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef AF_XDP
#define AF_XDP 44
#endif
#ifndef SOL_XDP
#define SOL_XDP 283
#endif

#define BATCH_MAX 256
#define FRAME_SIZE 2048u
#define NFRAMES 4096u   /* per UMEM */
#define RING 2048u      /* entries of every ring (power of two) */

static volatile sig_atomic_t stop;
static void on_sig(int s) { (void)s; stop = 1; }

static void die(const char *what) {
  fprintf(stderr, "xdp-fwd: %s: %s\n", what, strerror(errno));
  exit(2);
}

static long sys_bpf(int cmd, union bpf_attr *attr) {
  return syscall(__NR_bpf, cmd, attr, sizeof *attr);
}

/* ---- rings (the logic of the kernel's tools/testing/selftests/bpf/xsk.h) ----
 * The kernel's side pairs its index loads/stores with ours: we read the other side's index with
 * acquire (the descriptors it published are visible after it) and publish ours with release (the
 * descriptors we wrote are visible before it). */
struct ring {
  uint32_t *producer, *consumer, *flags;
  void *descs;
  uint32_t mask, size;
  uint32_t cached_prod, cached_cons;
};

static uint32_t prod_free(struct ring *r, uint32_t want) {
  uint32_t free = r->cached_cons - r->cached_prod;
  if (free >= want) return free;
  r->cached_cons = __atomic_load_n(r->consumer, __ATOMIC_ACQUIRE) + r->size;
  return r->cached_cons - r->cached_prod;
}
static void prod_submit(struct ring *r) { __atomic_store_n(r->producer, r->cached_prod, __ATOMIC_RELEASE); }

static uint32_t cons_avail(struct ring *r, uint32_t want) {
  uint32_t n = r->cached_prod - r->cached_cons;
  if (n == 0) {
    r->cached_prod = __atomic_load_n(r->producer, __ATOMIC_ACQUIRE);
    n = r->cached_prod - r->cached_cons;
  }
  return n > want ? want : n;
}
static void cons_release(struct ring *r) { __atomic_store_n(r->consumer, r->cached_cons, __ATOMIC_RELEASE); }

static void *map_ring(int fd, struct xdp_ring_offset *o, uint32_t n, size_t desc, off_t pgoff, struct ring *r, int producer_side) {
  size_t len = o->desc + n * desc;
  uint8_t *m = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, pgoff);
  if (m == MAP_FAILED) die("mmap ring");
  r->producer = (uint32_t *)(m + o->producer);
  r->consumer = (uint32_t *)(m + o->consumer);
  r->flags = (uint32_t *)(m + o->flags);
  r->descs = m + o->desc;
  r->size = n;
  r->mask = n - 1;
  r->cached_prod = *r->producer;
  r->cached_cons = *r->consumer;
  if (producer_side) r->cached_cons += n; /* a producer sees `size` free slots at first */
  return m;
}

struct xsk {
  int fd;
  uint8_t *umem;
  struct ring fill, comp, rx, tx;
};

/* An AF_XDP socket with its own UMEM (fill + completion rings) and an rx or tx ring, bound to
 * IFINDEX queue 0 in copy mode. */
static void xsk_open(struct xsk *x, unsigned ifindex, int want_rx) {
  x->fd = socket(AF_XDP, SOCK_RAW, 0);
  if (x->fd < 0) die("AF_XDP socket (CONFIG_XDP_SOCKETS?)");
  x->umem = mmap(NULL, (size_t)NFRAMES * FRAME_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
  if (x->umem == MAP_FAILED) die("mmap umem");
  struct xdp_umem_reg mr = {.addr = (uint64_t)(uintptr_t)x->umem, .len = (uint64_t)NFRAMES * FRAME_SIZE, .chunk_size = FRAME_SIZE, .headroom = 0};
  if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_REG, &mr, sizeof mr) < 0) die("XDP_UMEM_REG");
  unsigned n = RING;
  if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_FILL_RING, &n, sizeof n) < 0) die("XDP_UMEM_FILL_RING");
  if (setsockopt(x->fd, SOL_XDP, XDP_UMEM_COMPLETION_RING, &n, sizeof n) < 0) die("XDP_UMEM_COMPLETION_RING");
  if (setsockopt(x->fd, SOL_XDP, want_rx ? XDP_RX_RING : XDP_TX_RING, &n, sizeof n) < 0) die(want_rx ? "XDP_RX_RING" : "XDP_TX_RING");
  struct xdp_mmap_offsets off;
  socklen_t ol = sizeof off;
  if (getsockopt(x->fd, SOL_XDP, XDP_MMAP_OFFSETS, &off, &ol) < 0) die("XDP_MMAP_OFFSETS");
  map_ring(x->fd, &off.fr, RING, sizeof(uint64_t), XDP_UMEM_PGOFF_FILL_RING, &x->fill, 1);
  map_ring(x->fd, &off.cr, RING, sizeof(uint64_t), XDP_UMEM_PGOFF_COMPLETION_RING, &x->comp, 0);
  if (want_rx) map_ring(x->fd, &off.rx, RING, sizeof(struct xdp_desc), XDP_PGOFF_RX_RING, &x->rx, 0);
  else map_ring(x->fd, &off.tx, RING, sizeof(struct xdp_desc), XDP_PGOFF_TX_RING, &x->tx, 1);
  struct sockaddr_xdp sa = {.sxdp_family = AF_XDP, .sxdp_ifindex = ifindex, .sxdp_queue_id = 0, .sxdp_flags = XDP_COPY | XDP_USE_NEED_WAKEUP};
  if (bind(x->fd, (struct sockaddr *)&sa, sizeof sa) < 0) die("bind AF_XDP socket to queue 0");
}

/* ---- the XDP program: return bpf_redirect_map(&xsks, ctx->rx_queue_index, XDP_PASS) ---- */
static int load_prog(int map_fd) {
  struct bpf_insn insns[] = {
      {.code = BPF_LDX | BPF_MEM | BPF_W, .dst_reg = BPF_REG_2, .src_reg = BPF_REG_1, .off = offsetof(struct xdp_md, rx_queue_index)},
      {.code = BPF_LD | BPF_DW | BPF_IMM, .dst_reg = BPF_REG_1, .src_reg = BPF_PSEUDO_MAP_FD, .imm = map_fd},
      {0}, /* second half of ld_imm64 */
      {.code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_3, .imm = XDP_PASS},
      {.code = BPF_JMP | BPF_CALL, .imm = BPF_FUNC_redirect_map},
      {.code = BPF_JMP | BPF_EXIT},
  };
  static char log[65536];
  union bpf_attr a;
  memset(&a, 0, sizeof a);
  a.prog_type = BPF_PROG_TYPE_XDP;
  a.insns = (uint64_t)(uintptr_t)insns;
  a.insn_cnt = sizeof insns / sizeof insns[0];
  a.license = (uint64_t)(uintptr_t)"GPL";
  a.log_buf = (uint64_t)(uintptr_t)log;
  a.log_size = sizeof log;
  a.log_level = 1;
  int fd = (int)sys_bpf(BPF_PROG_LOAD, &a);
  if (fd < 0) {
    int e = errno;
    fprintf(stderr, "xdp-fwd: BPF_PROG_LOAD: %s\nverifier log:\n%s\n", strerror(e), log);
    exit(2);
  }
  return fd;
}

static int attach(int prog_fd, unsigned ifindex, const char **mode) {
  static const struct { uint32_t flags; const char *name; } modes[] = {{XDP_FLAGS_DRV_MODE, "drv"}, {XDP_FLAGS_SKB_MODE, "skb"}};
  for (unsigned i = 0; i < 2; i++) {
    union bpf_attr a;
    memset(&a, 0, sizeof a);
    a.link_create.prog_fd = (uint32_t)prog_fd;
    a.link_create.target_ifindex = ifindex;
    a.link_create.attach_type = BPF_XDP;
    a.link_create.flags = modes[i].flags;
    int fd = (int)sys_bpf(BPF_LINK_CREATE, &a);
    if (fd >= 0) { *mode = modes[i].name; return fd; }
    fprintf(stderr, "xdp-fwd: attaching XDP in %s mode: %s%s\n", modes[i].name, strerror(errno), i == 0 ? " (trying generic mode)" : "");
  }
  exit(2);
}

static int parse_mac(const char *s, uint8_t m[6]) {
  return sscanf(s, "%hhx:%hhx:%hhx:%hhx:%hhx:%hhx", &m[0], &m[1], &m[2], &m[3], &m[4], &m[5]) == 6 ? 0 : -1;
}

static void if_mac(const char *name, uint8_t mac[6]) {
  int fd = socket(AF_INET, SOCK_DGRAM, 0);
  struct ifreq ifr = {0};
  strncpy(ifr.ifr_name, name, IFNAMSIZ - 1);
  if (fd < 0 || ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) die("SIOCGIFHWADDR");
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  close(fd);
}

static unsigned ifindex_of(const char *name) {
  unsigned idx = if_nametoindex(name);
  if (!idx) { fprintf(stderr, "xdp-fwd: no such interface '%s'\n", name); exit(2); }
  return idx;
}

/* Posts what the tx ring holds to the device: in copy mode each sendto() sends at most a small
 * batch (the kernel's TX_BATCH_SIZE, 32) and says EAGAIN when more is left. */
static void kick_tx(struct xsk *t) {
  for (int i = 0; i < 16; i++) {
    if (sendto(t->fd, NULL, 0, MSG_DONTWAIT, NULL, 0) >= 0) return;
    if (errno != EAGAIN && errno != EBUSY && errno != ENOBUFS) return;
    if (__atomic_load_n(t->tx.consumer, __ATOMIC_ACQUIRE) == t->tx.cached_prod) return;
  }
}

int main(int argc, char **argv) {
  if (argc < 4) { fprintf(stderr, "usage: xdp-fwd IN OUT DSTMAC [BATCH]\n"); return 2; }
  uint8_t dst[6], outmac[6];
  if (parse_mac(argv[3], dst) < 0) { fprintf(stderr, "xdp-fwd: bad MAC %s\n", argv[3]); return 2; }
  int batch = argc > 4 ? atoi(argv[4]) : 64;
  if (batch < 1 || batch > BATCH_MAX) batch = 64;
  unsigned in = ifindex_of(argv[1]), out = ifindex_of(argv[2]);
  if (geteuid() != 0) { fprintf(stderr, "xdp-fwd: must run as root (BPF program, XDP attach and AF_XDP sockets)\n"); return 2; }
  if_mac(argv[2], outmac);

  union bpf_attr ma;
  memset(&ma, 0, sizeof ma);
  ma.map_type = BPF_MAP_TYPE_XSKMAP;
  ma.key_size = 4;
  ma.value_size = 4;
  ma.max_entries = 1; /* the veths of the bench have one queue; frames of other queues go to the stack */
  int map_fd = (int)sys_bpf(BPF_MAP_CREATE, &ma);
  if (map_fd < 0) die("BPF_MAP_CREATE XSKMAP");
  int prog_fd = load_prog(map_fd);

  static struct xsk rx, tx;
  xsk_open(&rx, in, 1);
  xsk_open(&tx, out, 0);
  uint32_t key = 0, val = (uint32_t)rx.fd;
  union bpf_attr ua;
  memset(&ua, 0, sizeof ua);
  ua.map_fd = (uint32_t)map_fd;
  ua.key = (uint64_t)(uintptr_t)&key;
  ua.value = (uint64_t)(uintptr_t)&val;
  if (sys_bpf(BPF_MAP_UPDATE_ELEM, &ua) < 0) die("XSKMAP update");

  /* Rx UMEM: every frame goes to the fill ring (RING of them fit; the rest stay unused). */
  uint32_t nfill = prod_free(&rx.fill, RING);
  for (uint32_t i = 0; i < nfill && i < NFRAMES; i++) ((uint64_t *)rx.fill.descs)[rx.fill.cached_prod++ & rx.fill.mask] = (uint64_t)i * FRAME_SIZE;
  prod_submit(&rx.fill);
  /* Tx UMEM: a stack of free frame addresses, refilled from the completion ring. */
  static uint64_t txfree[NFRAMES];
  uint32_t ntxfree = 0;
  /* Rx frames consumed but not yet back on the fill ring. */
  static uint64_t back[NFRAMES];
  uint32_t nback = 0;
  for (uint32_t i = 0; i < NFRAMES; i++) txfree[ntxfree++] = (uint64_t)i * FRAME_SIZE;

  const char *mode = "";
  int link_fd = attach(prog_fd, in, &mode);

  signal(SIGTERM, on_sig);
  signal(SIGINT, on_sig);
  uint64_t nrx = 0, ntx = 0, nnotx = 0;
  printf("xdp-fwd ready (xdp mode: %s)\n", mode);
  fflush(stdout);
  struct xdp_desc *rxd = rx.rx.descs, *txd = tx.tx.descs;
  uint64_t *fq = rx.fill.descs, *cq = tx.comp.descs;
  while (!stop) {
    /* Completions of earlier sends: their tx frames are free again. */
    uint32_t nc = cons_avail(&tx.comp, RING);
    for (uint32_t i = 0; i < nc; i++) txfree[ntxfree++] = cq[tx.comp.cached_cons++ & tx.comp.mask];
    if (nc) cons_release(&tx.comp);

    uint32_t n = cons_avail(&rx.rx, (uint32_t)batch);
    if (n == 0) {
      /* Nothing to receive: first send what an earlier kick left on the tx ring, then sleep. */
      if (__atomic_load_n(tx.tx.consumer, __ATOMIC_ACQUIRE) != tx.tx.cached_prod) kick_tx(&tx);
      struct pollfd p = {.fd = rx.fd, .events = POLLIN};
      poll(&p, 1, 100);
      continue;
    }
    nrx += n;
    uint32_t room = prod_free(&tx.tx, n);
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
      const struct xdp_desc *d = &rxd[rx.rx.cached_cons++ & rx.rx.mask];
      uint8_t *f = rx.umem + d->addr;
      uint32_t len = d->len;
      if (len >= 34 && f[12] == 0x08 && f[13] == 0x00 && m < room && ntxfree) { /* IPv4 only, as a director */
        uint64_t ta = txfree[--ntxfree];
        uint8_t *t = tx.umem + ta;
        memcpy(t, dst, 6);
        memcpy(t + 6, outmac, 6);
        memcpy(t + 12, f + 12, len - 12);
        struct xdp_desc *o = &txd[tx.tx.cached_prod++ & tx.tx.mask];
        o->addr = ta;
        o->len = len;
        o->options = 0;
        m++;
      } else if (len >= 34 && f[12] == 0x08 && f[13] == 0x00) {
        nnotx++;
      }
      back[nback++] = d->addr & ~(uint64_t)(FRAME_SIZE - 1); /* the chunk, without the kernel's headroom */
    }
    cons_release(&rx.rx);
    /* Received frames go back to the fill ring as far as the kernel has published room for them
     * (it may publish its consumer index late); the rest wait in `back` for the next round. */
    uint32_t k = prod_free(&rx.fill, nback);
    if (k > nback) k = nback;
    for (uint32_t i = 0; i < k; i++) fq[rx.fill.cached_prod++ & rx.fill.mask] = back[--nback];
    if (k) prod_submit(&rx.fill);
    if (m) {
      prod_submit(&tx.tx);
      kick_tx(&tx);
      ntx += m;
    }
  }
  printf("xdp-fwd rx=%llu tx-posted=%llu no-tx-room=%llu\n", (unsigned long long)nrx, (unsigned long long)ntx, (unsigned long long)nnotx);
  close(link_fd); /* detaches the program */
  return 0;
}
