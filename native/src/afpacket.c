/* AF_PACKET batch I/O for uvs: syscalls only, no policy.
 *
 * One SOCK_RAW AF_PACKET socket per interface (ETH_P_ALL, PACKET_IGNORE_OUTGOING so the socket
 * never reads back its own transmissions, promiscuous and PACKET_QDISC_BYPASS optional). Frames
 * move in batches between the kernel and ONE slab that JavaScript allocates once: an ArrayBuffer
 * of fixed-size slots, each with headroom in front (so a transmitter can prepend an outer header
 * without copying). One N-API call per batch in each direction; nothing per packet crosses N-API.
 *
 * Two kernel interfaces are implemented and selectable at open time:
 *   - "mmsg": recvmmsg()/sendmmsg() straight into/out of the slab (zero copies in userspace);
 *   - "ring": a PACKET_MMAP TPACKET_V2 rx ring and tx ring (frames are memcpy'd between ring and
 *     slab; one send() kicks a whole tx batch);
 *   - "ringrx": the rx ring, and sendmmsg() from the slab for transmit.
 * bench/io measures both (see bench/RESULTS.md, "## Live I/O"); JS picks the default.
 *
 * Functions (all throw an Error whose `code` is the errno name on failure):
 *   afpOpen(ifname, {promisc, qdiscBypass, mode:"mmsg"|"ring"|"ringrx", rcvbuf, ringFrames, txDontWait}) -> handle
 *   afpClose(handle)
 *   afpRecv(handle, slab, slotSize, headroom, firstSlot, maxSlots, lens:Uint32Array, timeoutMs) -> n
 *       fills slots firstSlot..firstSlot+n-1 (frame at slot*slotSize+headroom), lens[i] = length.
 *       A frame longer than the slot is cut, and lens[i] is its real length (> slot room): the
 *       caller must drop it (offload super-frames; see src/io/vip-guard.ts).
 *       timeoutMs > 0: waits in poll() up to that long when nothing is ready; 0: never waits.
 *   afpSend(handle, slab, offsets:Uint32Array, lens:Uint32Array, count) -> frames sent
 *   afpWait(handles:Int32Array, count, timeoutMs) -> bitmask of handles with frames ready (poll)
 *   afpStats(handle) -> {packets, drops}   (PACKET_STATISTICS, reset by reading)
 *   afpIfInfo(ifname) -> {index, mtu, mac:Buffer(6)}
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <unistd.h>

#include "addon.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif
#ifndef PACKET_QDISC_BYPASS
#define PACKET_QDISC_BYPASS 20
#endif

#define AFP_MAX_HANDLES 64
#define AFP_BATCH_MAX 1024
#define AFP_RING_FRAME 2048

enum { MODE_MMSG = 0, MODE_RING = 1 };

typedef struct {
  int fd;
  int mode;
  int ifindex;
  /* ring: kick the tx ring with MSG_DONTWAIT (do not wait until the kernel released every frame) */
  int txDontWait;
  /* ring: transmit through the tx ring (else sendmmsg from the slab) */
  int txRing;
  /* mmsg */
  struct mmsghdr *msgs;
  struct iovec *iovs;
  /* ring */
  uint8_t *map;
  size_t mapLen;
  unsigned rxFrames, txFrames, rxNext, txNext;
} afp_t;

static afp_t *handles[AFP_MAX_HANDLES];
static pthread_mutex_t handlesLock = PTHREAD_MUTEX_INITIALIZER;

static const char *errno_code(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EACCES: return "EACCES";
    case ENODEV: return "ENODEV";
    case ENXIO: return "ENXIO";
    case EINVAL: return "EINVAL";
    case ENOMEM: return "ENOMEM";
    case ENOBUFS: return "ENOBUFS";
    case EAGAIN: return "EAGAIN";
    case ENETDOWN: return "ENETDOWN";
    case EMSGSIZE: return "EMSGSIZE";
    case EBADF: return "EBADF";
    case EAFNOSUPPORT: return "EAFNOSUPPORT";
    case ENOPROTOOPT: return "ENOPROTOOPT";
    case EMFILE: return "EMFILE";
    default: return "EIO";
  }
}

/* Throws Error(message) with .code = errno name; returns NULL for convenience. */
static napi_value throw_errno(napi_env env, int e, const char *what) {
  char msg[256];
  const char *hint = (e == EPERM || e == EACCES) ? " (AF_PACKET needs root or CAP_NET_RAW)" : "";
  snprintf(msg, sizeof msg, "%s: %s%s", what, strerror(e), hint);
  napi_throw_error(env, errno_code(e), msg);
  return NULL;
}

static napi_value throw_msg(napi_env env, const char *code, const char *msg) {
  napi_throw_error(env, code, msg);
  return NULL;
}

static int get_string(napi_env env, napi_value v, char *out, size_t cap) {
  size_t len = 0;
  if (napi_get_value_string_utf8(env, v, out, cap, &len) != napi_ok) return -1;
  return (int)len;
}

static int get_bool_prop(napi_env env, napi_value obj, const char *name, int dflt) {
  bool has = false;
  napi_value v;
  bool b;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return dflt;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return dflt;
  if (napi_get_value_bool(env, v, &b) != napi_ok) return dflt;
  return b ? 1 : 0;
}

static int64_t get_int_prop(napi_env env, napi_value obj, const char *name, int64_t dflt) {
  bool has = false;
  napi_value v;
  int64_t n;
  if (napi_has_named_property(env, obj, name, &has) != napi_ok || !has) return dflt;
  if (napi_get_named_property(env, obj, name, &v) != napi_ok) return dflt;
  if (napi_get_value_int64(env, v, &n) != napi_ok) return dflt;
  return n;
}

static afp_t *get_handle(napi_env env, napi_value v) {
  int32_t h = -1;
  if (napi_get_value_int32(env, v, &h) != napi_ok || h < 0 || h >= AFP_MAX_HANDLES || handles[h] == NULL) {
    throw_msg(env, "EBADF", "afpacket: bad or closed handle");
    return NULL;
  }
  return handles[h];
}

static void afp_free(afp_t *a) {
  if (!a) return;
  if (a->map) munmap(a->map, a->mapLen);
  if (a->fd >= 0) close(a->fd);
  free(a->msgs);
  free(a->iovs);
  free(a);
}

static int ring_setup(afp_t *a, unsigned frames, int withTx) {
  int v = TPACKET_V2;
  if (setsockopt(a->fd, SOL_PACKET, PACKET_VERSION, &v, sizeof v) < 0) return -1;
  struct tpacket_req req;
  memset(&req, 0, sizeof req);
  req.tp_block_size = 1u << 16; /* 64 KiB blocks of 32 frames */
  req.tp_frame_size = AFP_RING_FRAME;
  req.tp_block_nr = frames / (req.tp_block_size / AFP_RING_FRAME);
  if (req.tp_block_nr == 0) req.tp_block_nr = 1;
  req.tp_frame_nr = req.tp_block_nr * (req.tp_block_size / AFP_RING_FRAME);
  if (setsockopt(a->fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof req) < 0) return -1;
  if (withTx && setsockopt(a->fd, SOL_PACKET, PACKET_TX_RING, &req, sizeof req) < 0) return -1;
  a->rxFrames = a->txFrames = req.tp_frame_nr;
  a->mapLen = (size_t)req.tp_block_size * req.tp_block_nr * (withTx ? 2 : 1);
  void *m = mmap(NULL, a->mapLen, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_LOCKED, a->fd, 0);
  if (m == MAP_FAILED) m = mmap(NULL, a->mapLen, PROT_READ | PROT_WRITE, MAP_SHARED, a->fd, 0);
  if (m == MAP_FAILED) { a->map = NULL; return -1; }
  a->map = m;
  return 0;
}

/* afpOpen(ifname, opts) */
static napi_value afp_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return throw_msg(env, "EINVAL", "afpOpen(ifname, opts): interface name required");
  char ifname[IF_NAMESIZE + 8];
  int n = get_string(env, argv[0], ifname, sizeof ifname);
  if (n <= 0 || n >= IF_NAMESIZE) return throw_msg(env, "EINVAL", "afpOpen: interface name must be 1-15 characters");
  int promisc = 0, bypass = 0, mode = MODE_MMSG, txDontWait = 1, txRing = 0;
  int64_t rcvbuf = 4 << 20, ringFrames = 4096;
  napi_valuetype t = napi_undefined;
  if (argc >= 2) napi_typeof(env, argv[1], &t);
  if (t == napi_object) {
    promisc = get_bool_prop(env, argv[1], "promisc", 0);
    bypass = get_bool_prop(env, argv[1], "qdiscBypass", 0);
    txDontWait = get_bool_prop(env, argv[1], "txDontWait", 1);
    rcvbuf = get_int_prop(env, argv[1], "rcvbuf", rcvbuf);
    ringFrames = get_int_prop(env, argv[1], "ringFrames", ringFrames);
    bool has = false;
    if (napi_has_named_property(env, argv[1], "mode", &has) == napi_ok && has) {
      napi_value mv;
      char ms[16];
      napi_get_named_property(env, argv[1], "mode", &mv);
      if (get_string(env, mv, ms, sizeof ms) > 0) {
        if (strcmp(ms, "ring") == 0) { mode = MODE_RING; txRing = 1; }
        else if (strcmp(ms, "ringrx") == 0) mode = MODE_RING;
        else if (strcmp(ms, "mmsg") == 0) mode = MODE_MMSG;
        else return throw_msg(env, "EINVAL", "afpOpen: mode must be 'mmsg', 'ring' or 'ringrx'");
      }
    }
  }
  if (ringFrames < 64 || ringFrames > 65536) return throw_msg(env, "EINVAL", "afpOpen: ringFrames must be 64..65536");

  unsigned ifindex = if_nametoindex(ifname);
  if (ifindex == 0) {
    char msg[96];
    int e = errno;
    snprintf(msg, sizeof msg, "no such interface '%s' (%s)", ifname, strerror(e));
    return throw_msg(env, "ENODEV", msg);
  }

  afp_t *a = calloc(1, sizeof *a);
  if (!a) return throw_errno(env, ENOMEM, "afpOpen");
  a->fd = -1;
  a->mode = mode;
  a->ifindex = (int)ifindex;
  a->txDontWait = txDontWait;
  a->txRing = txRing;
  /* protocol 0 until bound, so no frames from other interfaces queue up in between */
  a->fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, 0);
  if (a->fd < 0) { int e = errno; afp_free(a); return throw_errno(env, e, "AF_PACKET socket"); }

  int one = 1;
  if (setsockopt(a->fd, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one) < 0) {
    int e = errno; afp_free(a); return throw_errno(env, e, "setsockopt(PACKET_IGNORE_OUTGOING)");
  }
  if (bypass && setsockopt(a->fd, SOL_PACKET, PACKET_QDISC_BYPASS, &one, sizeof one) < 0) {
    int e = errno; afp_free(a); return throw_errno(env, e, "setsockopt(PACKET_QDISC_BYPASS)");
  }
  if (mode == MODE_MMSG) {
    int rb = (int)rcvbuf;
    if (setsockopt(a->fd, SOL_SOCKET, SO_RCVBUFFORCE, &rb, sizeof rb) < 0)
      setsockopt(a->fd, SOL_SOCKET, SO_RCVBUF, &rb, sizeof rb);
  } else if (ring_setup(a, (unsigned)ringFrames, txRing) < 0) {
    int e = errno; afp_free(a); return throw_errno(env, e, "PACKET_MMAP ring setup");
  }
  if (!txRing) {
    a->msgs = calloc(AFP_BATCH_MAX, sizeof *a->msgs);
    a->iovs = calloc(AFP_BATCH_MAX, sizeof *a->iovs);
    if (!a->msgs || !a->iovs) { afp_free(a); return throw_errno(env, ENOMEM, "afpOpen"); }
    for (int i = 0; i < AFP_BATCH_MAX; i++) {
      a->msgs[i].msg_hdr.msg_iov = &a->iovs[i];
      a->msgs[i].msg_hdr.msg_iovlen = 1;
    }
  }

  struct sockaddr_ll sll;
  memset(&sll, 0, sizeof sll);
  sll.sll_family = AF_PACKET;
  sll.sll_protocol = htons(ETH_P_ALL);
  sll.sll_ifindex = (int)ifindex;
  if (bind(a->fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    int e = errno; afp_free(a); return throw_errno(env, e, "bind AF_PACKET socket");
  }
  if (promisc) {
    struct packet_mreq mr;
    memset(&mr, 0, sizeof mr);
    mr.mr_ifindex = (int)ifindex;
    mr.mr_type = PACKET_MR_PROMISC;
    if (setsockopt(a->fd, SOL_PACKET, PACKET_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) {
      int e = errno; afp_free(a); return throw_errno(env, e, "setsockopt(PACKET_MR_PROMISC)");
    }
  }

  int h = -1;
  pthread_mutex_lock(&handlesLock);
  for (int i = 0; i < AFP_MAX_HANDLES; i++) if (!handles[i]) { handles[i] = a; h = i; break; }
  pthread_mutex_unlock(&handlesLock);
  if (h < 0) { afp_free(a); return throw_msg(env, "EMFILE", "afpOpen: too many open AF_PACKET handles"); }
  napi_value r;
  napi_create_int32(env, h, &r);
  return r;
}

static napi_value afp_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t h = -1;
  if (argc < 1 || napi_get_value_int32(env, argv[0], &h) != napi_ok || h < 0 || h >= AFP_MAX_HANDLES) return NULL;
  pthread_mutex_lock(&handlesLock);
  afp_t *a = handles[h];
  handles[h] = NULL;
  pthread_mutex_unlock(&handlesLock);
  afp_free(a);
  return NULL;
}

static int get_slab(napi_env env, napi_value v, uint8_t **data, size_t *len) {
  bool isab = false, ista = false;
  napi_is_arraybuffer(env, v, &isab);
  if (isab) return napi_get_arraybuffer_info(env, v, (void **)data, len) == napi_ok ? 0 : -1;
  napi_is_typedarray(env, v, &ista);
  if (ista) {
    napi_typedarray_type tt;
    size_t n;
    napi_value ab;
    size_t bo;
    if (napi_get_typedarray_info(env, v, &tt, &n, (void **)data, &ab, &bo) != napi_ok) return -1;
    if (tt != napi_uint8_array) return -1;
    *len = n;
    return 0;
  }
  return -1;
}

static int get_u32arr(napi_env env, napi_value v, uint32_t **data, size_t *len) {
  bool ista = false;
  napi_is_typedarray(env, v, &ista);
  if (!ista) return -1;
  napi_typedarray_type tt;
  napi_value ab;
  size_t bo;
  if (napi_get_typedarray_info(env, v, &tt, len, (void **)data, &ab, &bo) != napi_ok) return -1;
  return tt == napi_uint32_array ? 0 : -1;
}

static unsigned ring_rx(afp_t *a, uint8_t *slab, uint32_t slotSize, uint32_t headroom, uint32_t first, uint32_t max, uint32_t *lens) {
  unsigned n = 0;
  uint8_t *rx = a->map;
  while (n < max) {
    struct tpacket2_hdr *hdr = (struct tpacket2_hdr *)(rx + (size_t)a->rxNext * AFP_RING_FRAME);
    if (!(__atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER)) break;
    uint32_t len = hdr->tp_snaplen;
    uint32_t room = slotSize - headroom;
    if (len > room) len = room;
    memcpy(slab + (size_t)(first + n) * slotSize + headroom, (uint8_t *)hdr + hdr->tp_mac, len);
    /* The frame's real length: larger than the slot for a GRO/TSO super-frame (the caller drops it). */
    lens[n] = hdr->tp_len;
    __atomic_store_n(&hdr->tp_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
    a->rxNext = (a->rxNext + 1) % a->rxFrames;
    n++;
  }
  return n;
}

static int ring_rx_ready(afp_t *a) {
  struct tpacket2_hdr *hdr = (struct tpacket2_hdr *)(a->map + (size_t)a->rxNext * AFP_RING_FRAME);
  return (__atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) != 0;
}

/* afpRecv(handle, slab, slotSize, headroom, firstSlot, maxSlots, lens, timeoutMs) */
static napi_value afp_recv(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 8) return throw_msg(env, "EINVAL", "afpRecv: 8 arguments required");
  afp_t *a = get_handle(env, argv[0]);
  if (!a) return NULL;
  uint8_t *slab;
  size_t slabLen;
  uint32_t slotSize, headroom, first, max, *lens;
  size_t lensLen;
  int32_t timeoutMs;
  if (get_slab(env, argv[1], &slab, &slabLen) < 0) return throw_msg(env, "EINVAL", "afpRecv: slab must be an ArrayBuffer or Uint8Array");
  napi_get_value_uint32(env, argv[2], &slotSize);
  napi_get_value_uint32(env, argv[3], &headroom);
  napi_get_value_uint32(env, argv[4], &first);
  napi_get_value_uint32(env, argv[5], &max);
  if (get_u32arr(env, argv[6], &lens, &lensLen) < 0) return throw_msg(env, "EINVAL", "afpRecv: lens must be a Uint32Array");
  napi_get_value_int32(env, argv[7], &timeoutMs);
  if (headroom >= slotSize || slotSize < 64) return throw_msg(env, "EINVAL", "afpRecv: slotSize/headroom invalid");
  if (max > AFP_BATCH_MAX) max = AFP_BATCH_MAX;
  if (max > lensLen) max = (uint32_t)lensLen;
  if ((uint64_t)(first + max) * slotSize > slabLen) return throw_msg(env, "EINVAL", "afpRecv: slots beyond the slab");

  int got = 0;
  for (int attempt = 0; attempt < 2; attempt++) {
    if (a->mode == MODE_RING) {
      got = (int)ring_rx(a, slab, slotSize, headroom, first, max, lens);
    } else {
      for (uint32_t i = 0; i < max; i++) {
        a->iovs[i].iov_base = slab + (size_t)(first + i) * slotSize + headroom;
        a->iovs[i].iov_len = slotSize - headroom;
        a->msgs[i].msg_hdr.msg_name = NULL;
        a->msgs[i].msg_hdr.msg_namelen = 0;
        a->msgs[i].msg_hdr.msg_control = NULL;
        a->msgs[i].msg_hdr.msg_controllen = 0;
        a->msgs[i].msg_hdr.msg_flags = 0;
      }
      /* MSG_TRUNC: msg_len is the frame's real length even when the slot held only its start. */
      got = recvmmsg(a->fd, a->msgs, max, MSG_DONTWAIT | MSG_TRUNC, NULL);
      if (got < 0) {
        int e = errno;
        if (e != EAGAIN && e != EINTR) return throw_errno(env, e, "recvmmsg");
        got = 0;
      }
      for (int i = 0; i < got; i++) lens[i] = a->msgs[i].msg_len;
    }
    if (got > 0 || timeoutMs <= 0 || attempt == 1) break;
    struct pollfd p = {.fd = a->fd, .events = POLLIN, .revents = 0};
    if (a->mode == MODE_RING && ring_rx_ready(a)) continue;
    int pr = poll(&p, 1, timeoutMs);
    if (pr < 0 && errno != EINTR) return throw_errno(env, errno, "poll");
    if (pr <= 0) break;
  }
  napi_value r;
  napi_create_int32(env, got, &r);
  return r;
}

static int ring_tx(afp_t *a, uint8_t *slab, size_t slabLen, uint32_t *offs, uint32_t *lens, uint32_t count) {
  uint8_t *tx = a->map + a->mapLen / 2;
  const size_t dataOff = TPACKET2_HDRLEN - sizeof(struct sockaddr_ll);
  uint32_t queued = 0;
  for (uint32_t i = 0; i < count; i++) {
    struct tpacket2_hdr *hdr = (struct tpacket2_hdr *)(tx + (size_t)a->txNext * AFP_RING_FRAME);
    uint32_t st = __atomic_load_n(&hdr->tp_status, __ATOMIC_ACQUIRE);
    if (st != TP_STATUS_AVAILABLE && !(st & TP_STATUS_WRONG_FORMAT)) break; /* ring full */
    uint32_t len = lens[i];
    if (len > AFP_RING_FRAME - dataOff || (uint64_t)offs[i] + len > slabLen) continue;
    memcpy((uint8_t *)hdr + dataOff, slab + offs[i], len);
    hdr->tp_len = len;
    __atomic_store_n(&hdr->tp_status, TP_STATUS_SEND_REQUEST, __ATOMIC_RELEASE);
    a->txNext = (a->txNext + 1) % a->txFrames;
    queued++;
  }
  if (queued == 0) return 0;
  if (send(a->fd, NULL, 0, a->txDontWait ? MSG_DONTWAIT : 0) < 0 && errno != EAGAIN && errno != ENOBUFS) return -1;
  return (int)queued;
}

/* afpSend(handle, slab, offsets, lens, count) */
static napi_value afp_send(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 5) return throw_msg(env, "EINVAL", "afpSend: 5 arguments required");
  afp_t *a = get_handle(env, argv[0]);
  if (!a) return NULL;
  uint8_t *slab;
  size_t slabLen, offLen, lenLen;
  uint32_t *offs, *lens, count;
  if (get_slab(env, argv[1], &slab, &slabLen) < 0) return throw_msg(env, "EINVAL", "afpSend: slab must be an ArrayBuffer or Uint8Array");
  if (get_u32arr(env, argv[2], &offs, &offLen) < 0 || get_u32arr(env, argv[3], &lens, &lenLen) < 0)
    return throw_msg(env, "EINVAL", "afpSend: offsets and lens must be Uint32Arrays");
  napi_get_value_uint32(env, argv[4], &count);
  if (count > offLen) count = (uint32_t)offLen;
  if (count > lenLen) count = (uint32_t)lenLen;
  int sent = 0;
  if (a->mode == MODE_RING && a->txRing) {
    sent = ring_tx(a, slab, slabLen, offs, lens, count);
    if (sent < 0) return throw_errno(env, errno, "send (tx ring)");
  } else {
    uint32_t done = 0;
    while (done < count) {
      uint32_t n = 0;
      for (uint32_t i = done; i < count && n < AFP_BATCH_MAX; i++) {
        if ((uint64_t)offs[i] + lens[i] > slabLen) return throw_msg(env, "EINVAL", "afpSend: frame beyond the slab");
        a->iovs[n].iov_base = slab + offs[i];
        a->iovs[n].iov_len = lens[i];
        a->msgs[n].msg_hdr.msg_name = NULL;
        a->msgs[n].msg_hdr.msg_namelen = 0;
        a->msgs[n].msg_hdr.msg_control = NULL;
        a->msgs[n].msg_hdr.msg_controllen = 0;
        n++;
      }
      int r = sendmmsg(a->fd, a->msgs, n, 0);
      if (r < 0) {
        int e = errno;
        if (e == EINTR) continue;
        /* A frame the device refuses (too big, link down, queue full): skip it and go on; the
         * caller counts count - sent as tx drops. */
        if (e == EMSGSIZE || e == ENOBUFS || e == EAGAIN || e == ENETDOWN || e == ENXIO || e == EINVAL) { done++; continue; }
        return throw_errno(env, e, "sendmmsg");
      }
      sent += r;
      done += (uint32_t)r; /* on a partial batch the next call reports the failing frame's error */
    }
  }
  napi_value rv;
  napi_create_int32(env, sent, &rv);
  return rv;
}

/* afpWait(handles, count, timeoutMs): poll() several sockets at once (a worker driving two
 * interfaces sleeps here when both are idle). Returns a bitmask of ready indexes. */
static napi_value afp_wait(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3) return throw_msg(env, "EINVAL", "afpWait(handles, count, timeoutMs)");
  bool ista = false;
  napi_is_typedarray(env, argv[0], &ista);
  if (!ista) return throw_msg(env, "EINVAL", "afpWait: handles must be an Int32Array");
  napi_typedarray_type tt;
  size_t len, bo;
  int32_t *hs;
  napi_value ab;
  napi_get_typedarray_info(env, argv[0], &tt, &len, (void **)&hs, &ab, &bo);
  if (tt != napi_int32_array) return throw_msg(env, "EINVAL", "afpWait: handles must be an Int32Array");
  uint32_t count;
  int32_t timeoutMs;
  napi_get_value_uint32(env, argv[1], &count);
  napi_get_value_int32(env, argv[2], &timeoutMs);
  if (count > len) count = (uint32_t)len;
  if (count > 16) count = 16;
  struct pollfd p[16];
  int mask = 0;
  for (uint32_t i = 0; i < count; i++) {
    int32_t h = hs[i];
    if (h < 0 || h >= AFP_MAX_HANDLES || !handles[h]) return throw_msg(env, "EBADF", "afpWait: bad or closed handle");
    afp_t *a = handles[h];
    p[i].fd = a->fd;
    p[i].events = POLLIN;
    p[i].revents = 0;
    if (a->mode == MODE_RING && ring_rx_ready(a)) mask |= 1 << i;
  }
  if (mask == 0) {
    int r = poll(p, count, timeoutMs);
    if (r < 0 && errno != EINTR) return throw_errno(env, errno, "poll");
    for (uint32_t i = 0; r > 0 && i < count; i++) if (p[i].revents & POLLIN) mask |= 1 << i;
  }
  napi_value rv;
  napi_create_int32(env, mask, &rv);
  return rv;
}

static napi_value afp_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return throw_msg(env, "EINVAL", "afpStats(handle)");
  afp_t *a = get_handle(env, argv[0]);
  if (!a) return NULL;
  struct tpacket_stats st;
  socklen_t sl = sizeof st;
  memset(&st, 0, sizeof st);
  if (getsockopt(a->fd, SOL_PACKET, PACKET_STATISTICS, &st, &sl) < 0) return throw_errno(env, errno, "getsockopt(PACKET_STATISTICS)");
  napi_value o, p, d;
  napi_create_object(env, &o);
  napi_create_uint32(env, st.tp_packets, &p);
  napi_create_uint32(env, st.tp_drops, &d);
  napi_set_named_property(env, o, "packets", p);
  napi_set_named_property(env, o, "drops", d);
  return o;
}

static napi_value afp_ifinfo(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  char ifname[IF_NAMESIZE + 8];
  int n = argc >= 1 ? get_string(env, argv[0], ifname, sizeof ifname) : -1;
  if (n <= 0 || n >= IF_NAMESIZE) return throw_msg(env, "EINVAL", "afpIfInfo: interface name must be 1-15 characters");
  unsigned idx = if_nametoindex(ifname);
  if (idx == 0) {
    char msg[96];
    snprintf(msg, sizeof msg, "no such interface '%s'", ifname);
    return throw_msg(env, "ENODEV", msg);
  }
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return throw_errno(env, errno, "socket for ioctl");
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  memcpy(ifr.ifr_name, ifname, (size_t)n);
  if (ioctl(fd, SIOCGIFHWADDR, &ifr) < 0) { int e = errno; close(fd); return throw_errno(env, e, "SIOCGIFHWADDR"); }
  uint8_t mac[6];
  memcpy(mac, ifr.ifr_hwaddr.sa_data, 6);
  if (ioctl(fd, SIOCGIFMTU, &ifr) < 0) { int e = errno; close(fd); return throw_errno(env, e, "SIOCGIFMTU"); }
  int mtu = ifr.ifr_mtu;
  close(fd);
  napi_value o, vi, vm, vmac;
  void *bdata;
  napi_create_object(env, &o);
  napi_create_uint32(env, idx, &vi);
  napi_create_int32(env, mtu, &vm);
  napi_create_buffer_copy(env, 6, mac, &bdata, &vmac);
  napi_set_named_property(env, o, "index", vi);
  napi_set_named_property(env, o, "mtu", vm);
  napi_set_named_property(env, o, "mac", vmac);
  return o;
}

static void def(napi_env env, napi_value exports, const char *name, napi_callback cb) {
  napi_value fn;
  napi_create_function(env, name, NAPI_AUTO_LENGTH, cb, NULL, &fn);
  napi_set_named_property(env, exports, name, fn);
}

void uvs_afpacket_init(napi_env env, napi_value exports) {
  def(env, exports, "afpOpen", afp_open);
  def(env, exports, "afpClose", afp_close);
  def(env, exports, "afpRecv", afp_recv);
  def(env, exports, "afpSend", afp_send);
  def(env, exports, "afpWait", afp_wait);
  def(env, exports, "afpStats", afp_stats);
  def(env, exports, "afpIfInfo", afp_ifinfo);
}
