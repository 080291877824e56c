#ifndef UVS_ADDON_H
#define UVS_ADDON_H
#include <node_api.h>

/* AF_PACKET batch I/O (afpacket.c). */
void uvs_afpacket_init(napi_env env, napi_value exports);
/* TUN device open (tun.c), for the lab's userspace IP-in-IP decapsulator. */
void uvs_tun_init(napi_env env, napi_value exports);

#endif
