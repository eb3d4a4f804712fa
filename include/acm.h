/* SPDX-License-Identifier: MIT OR Apache-2.0 */
/*
 * acm.h — the C ABI of the acm call-masking detector.
 *
 * This header is the one contract between the Rust core (src/ffi/) and any
 * switch module written in C: kamailio-module/ uses it, and another switch's
 * module can too. A test generates Rust bindings from this file with bindgen
 * and checks them against the Rust side, so the two cannot drift silently.
 *
 * Rules every function keeps:
 *   - never unwinds a panic into the caller, never aborts the process;
 *   - accepts NULL pointers, non-UTF-8 bytes and oversized strings and answers
 *     safely (a check then fails open: ACM_ACTION_ALLOW with a reason);
 *   - acm_check never waits on a store longer than the configured budget.
 *
 * Process model (Kamailio forks its workers after mod_init):
 *   acm_init        once, in the parent, before fork: parses and validates the
 *                   config and, for the shared-memory store (the default),
 *                   maps the region every worker will share; starts no thread
 *                   and opens no socket;
 *   acm_start_notes after acm_init, in the parent: what to log at start;
 *   acm_child_init  in each worker after fork: opens the store connection and
 *                   starts the event drainer of that process;
 *   acm_check       on every INVITE, in a worker;
 *   acm_flush_on_exit_signal  in each worker after acm_child_init, when the
 *                   switch ends workers from their signal handler;
 *   acm_shutdown    at exit: flushes queued events, stops the drainer.
 */
#ifndef ACM_H
#define ACM_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct or a signature in this file changes. */
#define ACM_ABI_VERSION 1

/* Return codes of the functions that can fail. */
#define ACM_OK 0
#define ACM_ERR (-1)

/* Verdict actions. */
#define ACM_ACTION_ALLOW 1
#define ACM_ACTION_FLAG 2
#define ACM_ACTION_BLOCK 3

/* Reason bits of acm_verdict.reason_bits; the same codes appear as text in
 * acm_verdict.reasons. Stable: a bit's meaning never changes. */
#define ACM_REASON_DISTINCT_CALLERS (1u << 0)       /* "distinct_callers" */
#define ACM_REASON_INTL_INGRESS_LOCAL_CLI (1u << 1) /* "intl_ingress_local_cli" */
#define ACM_REASON_INVALID_CLI (1u << 2)            /* "invalid_cli" */
#define ACM_REASON_CLI_VELOCITY (1u << 3)           /* "cli_velocity" */
#define ACM_REASON_CLI_ROTATION (1u << 4)           /* "cli_rotation" */
#define ACM_REASON_DENYLIST (1u << 5)               /* "denylist" */
#define ACM_REASON_AUTO_BLOCK (1u << 6)             /* "auto_block" */
#define ACM_REASON_ALLOWLIST (1u << 7)              /* "allowlist" */
#define ACM_REASON_MONITOR_ONLY (1u << 8)           /* "monitor_only": a block turned into a flag */
#define ACM_REASON_STORE_UNAVAILABLE (1u << 9)      /* "store_unavailable": failed open */
#define ACM_REASON_STORE_CAPACITY (1u << 10)        /* "store_capacity": window not tracked */
#define ACM_REASON_BAD_INPUT (1u << 11)             /* "bad_input": failed open */
#define ACM_REASON_INTERNAL_ERROR (1u << 12)        /* "internal_error": failed open */
#define ACM_REASON_NOT_INITIALISED (1u << 13)       /* "not_initialised": failed open */
#define ACM_REASON_DISTINCT_CALLERS_SLOW (1u << 14) /* "distinct_callers_slow" */
#define ACM_REASON_CLI_FANOUT (1u << 15)            /* "cli_fanout": one CLI, many callees */
#define ACM_REASON_LEARNING_WARMUP (1u << 16)       /* "learning_warmup": a learned rule's block turned into a flag after a cold start */
#define ACM_REASON_QUIET_FANIN (1u << 17)           /* "quiet_fanin": a quiet number's callers over every route */

/* A borrowed byte string, like Kamailio's `str`: not NUL-terminated; ptr may
 * be NULL when len is 0. Absent optional fields are {NULL, 0}. */
typedef struct acm_str {
    const char *ptr;
    size_t len;
} acm_str;

/* The facts of one call. Only b_number is required; a missing call_id is
 * replaced by a generated one, a missing a_number counts as an invalid CLI. */
typedef struct acm_call {
    acm_str call_id;
    acm_str a_number;      /* the CLI as presented (From user part) */
    acm_str b_number;      /* the called number (R-URI user part) */
    acm_str source_ip;     /* optional: signalling source address */
    acm_str trunk;         /* optional: ingress trunk or group name */
    acm_str pai;           /* optional: P-Asserted-Identity user part */
    acm_str attestation;   /* optional: STIR/SHAKEN "A", "B" or "C" */
    int64_t event_time_ms; /* Unix time in ms; 0 or less means now */
} acm_call;

#define ACM_REASONS_LEN 256
#define ACM_ALERT_ID_LEN 64

/* The answer to one check. Strings are NUL-terminated and truncated to fit. */
typedef struct acm_verdict {
    int32_t action;            /* ACM_ACTION_* */
    uint32_t reason_bits;      /* ACM_REASON_* */
    uint32_t distinct_callers; /* distinct callers of b_number in the window, 0 if not evaluated */
    uint32_t cli_calls;        /* calls by a_number in the velocity window, 0 if not evaluated */
    uint32_t check_us;         /* wall time of the check in microseconds */
    char reasons[ACM_REASONS_LEN];   /* e.g. "distinct_callers,monitor_only"; "" when none */
    char alert_id[ACM_ALERT_ID_LEN]; /* the alert raised or still active; "" when none */
} acm_verdict;

/* Parse and validate the TOML config at config_path (NULL or "" for the
 * built-in defaults, whose store is one shared-memory region for every
 * process forked after this call). Call once before fork.
 * On failure returns ACM_ERR and writes a message naming the key into err. */
int32_t acm_init(const char *config_path, char *err, size_t err_len);

/* Start-up notes for the switch's log, in the process that called acm_init,
 * after it: the store the workers will use and its memory bound, and
 * warnings (e.g. a per-process store while several workers check calls).
 * workers: how many processes will call acm_check (0 if unknown). Writes the
 * notes into buf, one per line, each starting "info: " or "warning: ",
 * NUL-terminated and truncated to fit. Returns how many are warnings, or
 * ACM_ERR (acm_init not called; the reason is written into buf). */
int32_t acm_start_notes(int32_t workers, char *buf, size_t buf_len);

/* Start this process's store connection and event drainer. Call after fork,
 * in each process that will call acm_check. rank is informational. */
int32_t acm_child_init(int32_t rank, char *err, size_t err_len);

/* Check one call and fill *out (which may be NULL). Returns out->action, one
 * of ACM_ACTION_*; fails open to ACM_ACTION_ALLOW with a reason bit. */
int32_t acm_check(const acm_call *call, acm_verdict *out);

/* Re-read the config file and lists in this process. ACM_ERR keeps the old
 * config and writes the reason into err. */
int32_t acm_reload(char *err, size_t err_len);

/* This process's counters as one JSON object, NUL-terminated into buf when it
 * fits. Returns the length the full text needs (without the NUL), or -1. */
int64_t acm_stats_json(char *buf, size_t buf_len);

/* Flush queued events (bounded wait) and stop this process's threads. */
void acm_shutdown(void);

/* For a forked worker that its switch ends with _exit() from the SIGTERM or
 * SIGINT handler (Kamailio's workers): call after acm_child_init. From then on
 * those signals park the signalled thread (the switch's own: threads of acm
 * block them), flush this process's queued events (INSERT, or the spool when
 * ClickHouse is slow or down; at most 3 s) and exit with status 0. A no-op
 * without a [clickhouse] section, and in the process that called acm_init
 * (the switch's main process, which exits through acm_shutdown). */
int32_t acm_flush_on_exit_signal(void);

/* "acm <version> abi <ACM_ABI_VERSION>", a static NUL-terminated string. */
const char *acm_version(void);

#ifdef __cplusplus
}
#endif

#endif /* ACM_H */
