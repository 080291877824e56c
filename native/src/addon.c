/* uvs native addon: syscalls only, no policy. Each concept registers its own functions. */
#include <node_api.h>
#include "addon.h"

static napi_value Init(napi_env env, napi_value exports) {
  uvs_afpacket_init(env, exports);
  uvs_tun_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, Init)
