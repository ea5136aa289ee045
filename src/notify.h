/* The service manager protocols, without libsystemd: readiness and state
 * over $NOTIFY_SOCKET (sd_notify(3)) and sockets passed in with
 * $LISTEN_FDS (sd_listen_fds(3)). Both are no-ops outside systemd. */
#ifndef AUTOCONFD_NOTIFY_H
#define AUTOCONFD_NOTIFY_H

/* Sends one state message ("READY=1\nSTATUS=..."); formatted like printf.
 * Failures are logged at debug level only: the service manager is an
 * observer, never a reason to stop serving. */
void notify(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* "RELOADING=1" with the MONOTONIC_USEC= that Type=notify-reload wants. */
void notify_reloading(void);

/* The number of listening sockets passed by the service manager (from fd
 * 3 on), 0 if none. Clears the LISTEN_* variables. */
int notify_listen_fds(void);

#define NOTIFY_FD_START 3

#endif
