/* TUN device open: to be written (issue 4). */
#include "addon.h"
void uvs_tun_init(napi_env env, napi_value exports) { (void)env; (void)exports; }
