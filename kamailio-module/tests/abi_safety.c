/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * abi_safety.c — the C side of the acm ABI contract (include/acm.h), tested
 * from C against the real Rust staticlib, the way a switch module calls it.
 *
 * Every call here is one a buggy or hostile caller could make: NULL pointers,
 * NULL out, tiny or zero-length buffers, 1 MB strings, bytes that are not
 * UTF-8 and embedded NULs. The contract says each answers safely: no crash,
 * no abort, no write past a buffer, checks fail open (ACM_ACTION_ALLOW).
 *
 * Buffers carry canary bytes after their declared length; any write past the
 * length is reported. Run: make -C kamailio-module test
 * Prints "N passed, N failed" and exits non-zero on any failure.
 */
#define _POSIX_C_SOURCE 200809L /* sigaction under -std=c11 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acm.h"

static int passed, failed;

#define CHECK(cond, ...)                                   \
	do {                                                   \
		if(cond) {                                         \
			passed++;                                      \
		} else {                                           \
			failed++;                                      \
			fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
			fprintf(stderr, __VA_ARGS__);                  \
			fputc('\n', stderr);                           \
		}                                                  \
	} while(0)

#define CANARY 0xA5
#define GUARD 64

/* a buffer of n usable bytes followed by GUARD canary bytes */
static char *guarded(size_t n)
{
	char *p = malloc(n + GUARD);
	if(p == NULL) {
		perror("malloc");
		exit(2);
	}
	memset(p, CANARY, n + GUARD);
	return p;
}

static int guard_intact(const char *p, size_t n)
{
	for(size_t i = 0; i < GUARD; i++)
		if((unsigned char)p[n + i] != CANARY)
			return 0;
	return 1;
}

static int valid_action(int32_t a)
{
	return a == ACM_ACTION_ALLOW || a == ACM_ACTION_FLAG
		   || a == ACM_ACTION_BLOCK;
}

static int verdict_sane(const acm_verdict *v, int32_t ret)
{
	return v->action == ret && valid_action(ret)
		   && memchr(v->reasons, '\0', ACM_REASONS_LEN) != NULL
		   && memchr(v->alert_id, '\0', ACM_ALERT_ID_LEN) != NULL;
}

static acm_str S(const char *p, size_t n)
{
	acm_str s;
	s.ptr = p;
	s.len = n;
	return s;
}

static acm_str Z(const char *p)
{
	return S(p, p ? strlen(p) : 0);
}

/* a check that must not crash and must answer a valid verdict */
static int32_t check_ok(const char *what, const acm_call *c)
{
	acm_verdict v;
	int32_t r;
	memset(&v, 0x5A, sizeof(v)); /* garbage in, the callee must overwrite */
	r = acm_check(c, &v);
	CHECK(verdict_sane(&v, r), "%s: insane verdict (ret %d action %d)", what,
			(int)r, (int)v.action);
	/* and once more with out == NULL */
	r = acm_check(c, NULL);
	CHECK(valid_action(r), "%s with out=NULL: action %d", what, (int)r);
	return r;
}

int main(void)
{
	acm_verdict v;
	acm_call c;
	int32_t r;
	int64_t n;
	char *err, *buf, *big, *bin;
	const size_t MB = 1024 * 1024;

	/* version: static, NUL-terminated, names the ABI */
	{
		const char *ver = acm_version();
		char want[32];
		CHECK(ver != NULL, "acm_version() is NULL");
		snprintf(want, sizeof(want), "abi %d", ACM_ABI_VERSION);
		CHECK(ver != NULL && strstr(ver, want) != NULL,
				"acm_version() '%s' does not name '%s'", ver ? ver : "", want);
		CHECK(ver != NULL && strncmp(ver, "acm ", 4) == 0,
				"acm_version() '%s' does not start with 'acm '", ver ? ver : "");
	}

	/* before acm_init: checks fail open, never crash */
	memset(&c, 0, sizeof(c));
	c.a_number = Z("+15551230001");
	c.b_number = Z("+15559870000");
	memset(&v, 0, sizeof(v));
	r = acm_check(&c, &v);
	CHECK(r == ACM_ACTION_ALLOW, "check before init: action %d, want allow",
			(int)r);
	CHECK(verdict_sane(&v, r), "check before init: insane verdict");
	r = acm_check(NULL, NULL);
	CHECK(r == ACM_ACTION_ALLOW, "check(NULL, NULL) before init: %d", (int)r);

	/* start-up notes before acm_init: ACM_ERR, the reason within buf_len */
	err = guarded(16);
	r = acm_start_notes(8, err, 16);
	CHECK(r == ACM_ERR, "acm_start_notes before init returned %d", (int)r);
	CHECK(guard_intact(err, 16), "acm_start_notes wrote past buf_len 16");
	free(err);

	/* acm_init with a missing file: ACM_ERR and a message, within err_len */
	err = guarded(16);
	r = acm_init("/nonexistent/acm-abi-test.toml", err, 16);
	CHECK(r == ACM_ERR, "init with a missing file returned %d", (int)r);
	CHECK(guard_intact(err, 16), "acm_init wrote past err_len 16");
	CHECK(memchr(err, '\0', 16) != NULL, "acm_init error not NUL-terminated");
	free(err);
	/* err NULL / err_len 0 */
	r = acm_init("/nonexistent/acm-abi-test.toml", NULL, 0);
	CHECK(r == ACM_ERR, "init with a missing file (err NULL) returned %d",
			(int)r);
	err = guarded(0);
	r = acm_init("/nonexistent/acm-abi-test.toml", err, 0);
	CHECK(guard_intact(err, 0), "acm_init wrote into err with err_len 0");
	free(err);

	/* built-in defaults */
	err = guarded(256);
	r = acm_init(NULL, err, 256);
	CHECK(r == ACM_OK, "acm_init(NULL) failed: %.*s", 256, err);
	CHECK(guard_intact(err, 256), "acm_init wrote past err_len 256");
	free(err);

	/* start-up notes: the default store (shared memory) and its bound; no
	 * warning with 8 workers; truncated within buf_len; NULL buf is fine */
	err = guarded(1024);
	r = acm_start_notes(8, err, 1024);
	CHECK(r == 0, "acm_start_notes(8) on the defaults: %d warnings", (int)r);
	CHECK(guard_intact(err, 1024), "acm_start_notes wrote past buf_len 1024");
	CHECK(strncmp(err, "info: shm store", 15) == 0, "start notes: '%.*s'", 1024,
			err);
	CHECK(strstr(err, "MiB") != NULL, "start notes state no size: '%s'", err);
	free(err);
	err = guarded(16);
	r = acm_start_notes(8, err, 16);
	CHECK(r == 0 && guard_intact(err, 16) && memchr(err, '\0', 16) != NULL,
			"acm_start_notes with buf_len 16: %d", (int)r);
	free(err);
	r = acm_start_notes(-3, NULL, 0);
	CHECK(r == 0, "acm_start_notes(-3, NULL, 0) returned %d", (int)r);
	r = acm_child_init(1, NULL, 0);
	CHECK(r == ACM_OK, "acm_child_init(1, NULL, 0) returned %d", (int)r);

	/* Without [clickhouse] there is nothing to flush at exit: a no-op that
	 * leaves this process's SIGTERM handling alone. */
	{
		struct sigaction before, after;
		sigaction(SIGTERM, NULL, &before);
		r = acm_flush_on_exit_signal();
		CHECK(r == ACM_OK, "acm_flush_on_exit_signal() returned %d", (int)r);
		sigaction(SIGTERM, NULL, &after);
		CHECK(before.sa_handler == after.sa_handler,
				"acm_flush_on_exit_signal() without a pipeline changed SIGTERM");
	}

	/* NULL call, NULL out */
	memset(&v, 0x5A, sizeof(v));
	r = acm_check(NULL, &v);
	CHECK(r == ACM_ACTION_ALLOW, "check(NULL call) returned %d", (int)r);
	CHECK(verdict_sane(&v, r), "check(NULL call): insane verdict");
	r = acm_check(NULL, NULL);
	CHECK(r == ACM_ACTION_ALLOW, "check(NULL, NULL) returned %d", (int)r);

	/* an all-empty call: b_number is required -> fail open */
	memset(&c, 0, sizeof(c));
	r = check_ok("all-empty call", &c);
	CHECK(r == ACM_ACTION_ALLOW, "all-empty call: action %d", (int)r);

	/* NULL ptr with a non-zero length (a contract violation by the caller) */
	memset(&c, 0, sizeof(c));
	c.call_id = S(NULL, 10);
	c.a_number = S(NULL, 12);
	c.b_number = S(NULL, 1000);
	c.source_ip = S(NULL, 7);
	c.pai = S(NULL, SIZE_MAX);
	r = check_ok("NULL ptr with len > 0", &c);
	CHECK(r == ACM_ACTION_ALLOW, "NULL ptr with len: action %d", (int)r);

	/* an ordinary call */
	memset(&c, 0, sizeof(c));
	c.call_id = Z("abi-ordinary-1@test");
	c.a_number = Z("+15551230001");
	c.b_number = Z("+15559870001");
	c.source_ip = Z("192.0.2.10");
	c.trunk = Z("trunk-a");
	c.pai = Z("+15551230001");
	c.attestation = Z("A");
	check_ok("ordinary call", &c);

	/* 1 MB strings in every field (no NUL anywhere) */
	big = malloc(MB);
	if(big == NULL)
		return 2;
	memset(big, '7', MB);
	memset(&c, 0, sizeof(c));
	c.call_id = S(big, MB);
	c.a_number = S(big, MB);
	c.b_number = S(big, MB);
	c.source_ip = S(big, MB);
	c.trunk = S(big, MB);
	c.pai = S(big, MB);
	c.attestation = S(big, MB);
	r = check_ok("1 MB fields", &c);
	CHECK(r == ACM_ACTION_ALLOW, "1 MB fields: action %d, want allow", (int)r);
	/* 1 MB a_number only, normal b_number */
	c = (acm_call){0};
	c.a_number = S(big, MB);
	c.b_number = Z("+15559870002");
	check_ok("1 MB a_number", &c);

	/* binary: every byte value, embedded NULs, invalid UTF-8 */
	bin = malloc(4096);
	if(bin == NULL)
		return 2;
	for(int i = 0; i < 4096; i++)
		bin[i] = (char)(i * 37 + 11);
	bin[0] = '\0';
	bin[5] = '\xff';
	bin[6] = '\xfe';
	bin[7] = '\xc3'; /* truncated UTF-8 sequence */
	memset(&c, 0, sizeof(c));
	c.call_id = S(bin, 4096);
	c.a_number = S(bin, 17);
	c.b_number = S(bin + 100, 12);
	c.source_ip = S(bin, 64);
	c.trunk = S(bin, 3);
	c.pai = S(bin, 4096);
	c.attestation = S(bin + 5, 3);
	check_ok("binary fields", &c);
	c.b_number = Z("+15559870003");
	c.a_number = S("+1555\0" "1230001", 13); /* NUL inside a number */
	check_ok("NUL inside a_number", &c);
	c.a_number = S("\xff\xfe\xfd", 3);
	check_ok("0xff bytes a_number", &c);
	c.event_time_ms = INT64_MIN;
	check_ok("event_time_ms INT64_MIN", &c);
	c.event_time_ms = INT64_MAX;
	check_ok("event_time_ms INT64_MAX", &c);
	c.event_time_ms = 0;

	/* many distinct callers to one callee: stays well-formed whatever the
	 * rules decide */
	for(int i = 0; i < 50; i++) {
		char a[32];
		snprintf(a, sizeof(a), "+1555000%04d", i);
		memset(&c, 0, sizeof(c));
		c.a_number = Z(a);
		c.b_number = Z("+15559879999");
		memset(&v, 0x5A, sizeof(v));
		r = acm_check(&c, &v);
		if(!verdict_sane(&v, r)) {
			CHECK(0, "distinct caller %d: insane verdict", i);
			break;
		}
	}
	passed++;

	/* stats: length query, tiny buffers, exact fit */
	n = acm_stats_json(NULL, 0);
	CHECK(n > 0, "acm_stats_json(NULL, 0) returned %lld", (long long)n);
	buf = guarded(1);
	n = acm_stats_json(buf, 1);
	CHECK(guard_intact(buf, 1), "acm_stats_json wrote past buf_len 1");
	free(buf);
	buf = guarded(0);
	acm_stats_json(buf, 0);
	CHECK(guard_intact(buf, 0), "acm_stats_json wrote with buf_len 0");
	free(buf);
	n = acm_stats_json(NULL, 0);
	if(n > 0 && n < 10 * (int64_t)MB) {
		size_t len = (size_t)n + 1;
		buf = guarded(len);
		int64_t n2 = acm_stats_json(buf, len);
		CHECK(n2 >= 0 && (size_t)n2 < len + 256,
				"acm_stats_json second call returned %lld", (long long)n2);
		CHECK(guard_intact(buf, len), "acm_stats_json wrote past an exact fit");
		if(n2 >= 0 && (size_t)n2 < len) {
			CHECK(buf[n2] == '\0', "stats not NUL-terminated at %lld",
					(long long)n2);
			CHECK(buf[0] == '{', "stats is not a JSON object: %.40s", buf);
		}
		free(buf);
		/* one byte short: must not write past it */
		buf = guarded((size_t)n);
		acm_stats_json(buf, (size_t)n);
		CHECK(guard_intact(buf, (size_t)n),
				"acm_stats_json wrote past buf_len = needed");
		free(buf);
	}

	/* reload with NULL and tiny error buffers */
	r = acm_reload(NULL, 0);
	CHECK(r == ACM_OK || r == ACM_ERR, "acm_reload(NULL, 0) returned %d",
			(int)r);
	err = guarded(1);
	r = acm_reload(err, 1);
	CHECK(guard_intact(err, 1), "acm_reload wrote past err_len 1");
	free(err);
	/* still answering after reload */
	memset(&c, 0, sizeof(c));
	c.a_number = Z("+15551230009");
	c.b_number = Z("+15559870009");
	check_ok("after reload", &c);

	/* shutdown twice, then a check: fails open, no crash */
	acm_shutdown();
	acm_shutdown();
	r = acm_check(&c, &v);
	CHECK(valid_action(r), "check after shutdown: action %d", (int)r);

	free(big);
	free(bin);
	printf("abi_safety: %s\n", acm_version());
	printf("%d passed, %d failed\n", passed, failed);
	return failed == 0 ? 0 : 1;
}
