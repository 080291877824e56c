/* TUN device open, for the lab's userspace IP-in-IP decapsulator (netns-lab/ipip-decap.ts).
 *
 * tunOpen(name) opens /dev/net/tun and attaches it to a TUN interface of that name with
 * TUNSETIFF (IFF_TUN | IFF_NO_PI: no Ethernet header, no 4-byte packet-info prefix) and returns
 * the file descriptor. Every write(2) on it then hands one raw IPv4 packet to the kernel as if it
 * had been received on that interface. The interface exists while the fd is open (not persistent),
 * so a crashed decapsulator leaves nothing behind. Syscalls only, no policy: bringing the link up,
 * its MTU and sysctls are done by the caller with iproute2.
 */
#include <errno.h>
#include <stdio.h>
#include <fcntl.h>
#include <string.h>
#include <unistd.h>
#include <sys/ioctl.h>
#include <net/if.h>
#include <linux/if_tun.h>
#include "addon.h"

static napi_value throw_errno(napi_env env, const char *what, int err) {
  char msg[160];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(err));
  napi_throw_error(env, "ERR_UVS_TUN", msg);
  return NULL;
}

/* tunOpen(name: string): number (fd) */
static napi_value tun_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc < 1) {
    napi_throw_type_error(env, "ERR_UVS_TUN", "tunOpen(name): name required");
    return NULL;
  }
  char name[IFNAMSIZ];
  size_t len = 0;
  if (napi_get_value_string_utf8(env, argv[0], name, sizeof name, &len) != napi_ok) {
    napi_throw_type_error(env, "ERR_UVS_TUN", "tunOpen(name): name must be a string");
    return NULL;
  }
  if (len == 0 || len >= IFNAMSIZ - 1) {
    napi_throw_range_error(env, "ERR_UVS_TUN", "tunOpen(name): interface name must be 1..14 characters");
    return NULL;
  }
  int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
  if (fd < 0) return throw_errno(env, "open /dev/net/tun", errno);
  struct ifreq ifr;
  memset(&ifr, 0, sizeof ifr);
  ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
  memcpy(ifr.ifr_name, name, len);
  if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
    int err = errno;
    close(fd);
    return throw_errno(env, "ioctl TUNSETIFF", err);
  }
  napi_value out;
  napi_create_int32(env, fd, &out);
  return out;
}

void uvs_tun_init(napi_env env, napi_value exports) {
  napi_value fn;
  napi_create_function(env, "tunOpen", NAPI_AUTO_LENGTH, tun_open, NULL, &fn);
  napi_set_named_property(env, exports, "tunOpen", fn);
}
