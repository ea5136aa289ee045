/* What libmicrohttpd receives and sends, as the edge needs to see it.
 *
 * libmicrohttpd reads requests with recv() (plain HTTP) and
 * gnutls_record_recv() (TLS) and offers no hook on the bytes. The daemon
 * defines both functions itself; the dynamic linker binds the library's
 * calls to the executable's definitions (as for gmtime_r(), gmtime.c),
 * which pass the call on and then show the bytes to edge_received(), the
 * request framing guard's way in. send() and sendmsg() (libmicrohttpd's
 * and GnuTLS's writes) only note that the worker's round moved bytes
 * (edge_progress, see work() in worker.c). Descriptors that are not
 * client connections pass straight through. Linked into the daemon
 * only. */
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

ssize_t
send(int fd, const void *buf, size_t len, int flags)
{
	ssize_t n = sendto(fd, buf, len, flags, NULL, 0);

	if (n > 0)
		edge_progress = true;
	return n;
}

typedef ssize_t (*sendmsg_fn)(int, const struct msghdr *, int);

ssize_t
sendmsg(int fd, const struct msghdr *msg, int flags)
{
	static _Atomic(sendmsg_fn) next;
	sendmsg_fn fn = atomic_load_explicit(&next, memory_order_relaxed);
	ssize_t n;

	if (fn == NULL) {
		fn = (sendmsg_fn)dlsym(RTLD_NEXT, "sendmsg");
		if (fn == NULL)
			fatalx("sendmsg: %s", dlerror());
		atomic_store_explicit(&next, fn, memory_order_relaxed);
	}
	n = fn(fd, msg, flags);
	if (n > 0)
		edge_progress = true;
	return n;
}
