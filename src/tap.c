/* What libmicrohttpd receives, shown to the request framing guard.
 *
 * libmicrohttpd reads requests with recv() (plain HTTP) and
 * gnutls_record_recv() (TLS) and offers no hook on the bytes. The daemon
 * defines both functions itself; the dynamic linker binds the library's
 * calls to the executable's definitions (as for gmtime_r(), gmtime.c),
 * which pass the call on and then show the bytes to edge_received().
 * Descriptors that are not client connections pass straight through.
 * Linked into the daemon only. */
#include "config.h"

#include <dlfcn.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <gnutls/gnutls.h>

#include "log.h"
#include "worker.h"

ssize_t
recv(int fd, void *buf, size_t len, int flags)
{
	ssize_t n = recvfrom(fd, buf, len, flags, NULL, NULL);

	if (n > 0)
		edge_received(fd, buf, (size_t)n, (size_t)n < len, false);
	return n;
}

typedef ssize_t (*record_recv_fn)(gnutls_session_t, void *, size_t);

ssize_t
gnutls_record_recv(gnutls_session_t session, void *data, size_t size)
{
	static _Atomic(record_recv_fn) next;
	record_recv_fn fn = atomic_load_explicit(&next, memory_order_relaxed);
	ssize_t n;

	if (fn == NULL) {
		/* GnuTLS's own, after the executable in the lookup order. */
		fn = (record_recv_fn)dlsym(RTLD_NEXT, "gnutls_record_recv");
		if (fn == NULL)
			fatalx("gnutls_record_recv: %s", dlerror());
		atomic_store_explicit(&next, fn, memory_order_relaxed);
	}
	n = fn(session, data, size);
	if (n > 0)
		edge_received(gnutls_transport_get_int(session), data,
		    (size_t)n, (size_t)n < size, true);
	return n;
}
