/* AF_PACKET batch I/O: to be written (issue 3). */
#include "addon.h"
void uvs_afpacket_init(napi_env env, napi_value exports) { (void)env; (void)exports; }
