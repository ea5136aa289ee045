/* Renderers: pure functions from the model to bytes. No I/O, no globals:
 * they are unit-tested and fuzzed directly. Each returns 0 on success and
 * appends to out; -1 only if the XML/JSON library failed. */
#ifndef AUTOCONFD_RENDER_H
#define AUTOCONFD_RENDER_H

#include "conf.h"
#include "util.h"

/* Thunderbird autoconfig, config-v1.1.xml. Independent of the user:
 * placeholders are left for the client to substitute. */
int render_autoconfig(const struct provider *p, struct buf *out);

#endif
