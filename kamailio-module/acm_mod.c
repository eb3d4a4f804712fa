/* SPDX-License-Identifier: GPL-2.0-or-later */
/*
 * acm_mod.c — Kamailio module "acm": call-masking (CLI spoofing) detection.
 *
 * A thin C shell around the Rust engine. The only contract between the two is
 * include/acm.h; this file never looks inside the engine.
 *
 *   loadmodule "acm.so"
 *   modparam("acm", "config", "/etc/acm/acm.toml")
 *   ...
 *   if (!acm_check("$fU", "$rU")) { sl_send_reply("403", "Forbidden"); exit; }
 *
 * Script return codes (never 0, which would end the route silently):
 *   allow = 1, flag = 2, block = -1.
 *
 * Processes: acm_init() runs in mod_init (main process, before fork: the
 * engine starts no thread and opens no socket there; with the default store
 * it maps the shared-memory region every worker then uses, so one attack is
 * counted once whichever workers its calls reach); acm_child_init() runs
 * in every SIP worker (rank > 0) after fork, and lazily in any other process
 * that calls acm_check (timer routes, async workers). acm_shutdown() runs in
 * mod_destroy; the other processes, which Kamailio ends from their signal
 * handler, flush on the signal (acm_flush_on_exit_signal).
 *
 * acm.reload (RPC) validates the config in the RPC process, then bumps a
 * generation counter in shared memory; each worker compares it before its
 * next check and calls acm_reload() itself, since every worker is a separate
 * process with its own engine state.
 *
 * acm.stats (RPC): every worker publishes acm_stats_json() into its own slot
 * of a shared-memory table (at most every stats_interval_ms); the RPC returns
 * all slots.
 *
 * This file is part of acm. SPDX-License-Identifier: GPL-2.0-or-later
 * (it links against Kamailio's GPL-2.0+ core API).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/sr_module.h"
#include "core/dprint.h"
#include "core/mod_fix.h"
#include "core/pvar.h"
#include "core/pt.h"
#include "core/globals.h"
#include "core/rpc.h"
#include "core/rpc_lookup.h"
#include "core/kemi.h"
#include "core/locking.h"
#include "core/mem/mem.h"
#include "core/mem/shm_mem.h"
#include "core/parser/msg_parser.h"
#include "core/parser/parse_hname2.h"

#include "acm.h"

MODULE_VERSION

#define ACM_ERR_LEN 512
#define ACM_STATS_SLOT_LEN 16384 /* a worker's acm_stats_json, check_us histogram included */

/* ---- module parameters ------------------------------------------------- */

static char *_acm_config = NULL;     /* modparam "config": acm TOML path */
static int _acm_stats_interval = 1000; /* modparam "stats_interval_ms" */

/* ---- shared state (allocated before fork) ------------------------------ */

typedef struct acm_stats_slot {
	int pid;
	int rank;
	int len; /* bytes in json, 0 when never published */
	char json[ACM_STATS_SLOT_LEN];
} acm_stats_slot_t;

typedef struct acm_shared {
	gen_lock_t lock;       /* protects slots */
	volatile int generation; /* bumped by acm.reload (atomic builtins) */
	int nslots;
	acm_stats_slot_t *slots;
} acm_shared_t;

static acm_shared_t *_acm_shm = NULL;

/* ---- per-process state ------------------------------------------------- */

static int _acm_rank = PROC_NOCHLDINIT; /* rank given to child_init */
static int _acm_child_ready = 0;        /* acm_child_init succeeded here */
static int _acm_child_failed = 0;       /* ... or failed: do not retry per call */
static int _acm_generation = 0;         /* generation this process runs */
static long long _acm_last_publish_ms = -1;

static acm_verdict _acm_last;       /* last verdict in this process */
static int _acm_have_last = 0;

/* ---- forward declarations ---------------------------------------------- */

static int mod_init(void);
static int child_init(int rank);
static void mod_destroy(void);

static int w_acm_check2(sip_msg_t *msg, char *p1, char *p2);
static int w_acm_check6(sip_msg_t *msg, char *p1, char *p2, char *p3,
		char *p4, char *p5, char *p6);

static int pv_parse_acm_name(pv_spec_t *sp, str *in);
static int pv_get_acm(sip_msg_t *msg, pv_param_t *param, pv_value_t *res);

static void acm_rpc_stats(rpc_t *rpc, void *ctx);
static void acm_rpc_reload(rpc_t *rpc, void *ctx);

/* ---- exports ----------------------------------------------------------- */

/* clang-format off */
static cmd_export_t cmds[] = {
	{"acm_check", (cmd_function)w_acm_check2, 2, fixup_spve_all,
		fixup_free_spve_all, REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE},
	{"acm_check", (cmd_function)w_acm_check6, 6, fixup_spve_all,
		fixup_free_spve_all, REQUEST_ROUTE | FAILURE_ROUTE | BRANCH_ROUTE},
	{0, 0, 0, 0, 0, 0}
};

static param_export_t params[] = {
	{"config",            PARAM_STRING, &_acm_config},
	{"stats_interval_ms", PARAM_INT,    &_acm_stats_interval},
	{0, 0, 0}
};

static pv_export_t mod_pvs[] = {
	{{"acm", sizeof("acm") - 1}, PVT_OTHER, pv_get_acm, 0,
		pv_parse_acm_name, 0, 0, 0},
	{{0, 0}, 0, 0, 0, 0, 0, 0, 0}
};

static const char *acm_rpc_stats_doc[] = {
	"Per-process acm counters (JSON from acm_stats_json of each worker).", 0
};
static const char *acm_rpc_reload_doc[] = {
	"Validate the acm config, then make every worker re-read it before its"
	" next check.", 0
};

static rpc_export_t acm_rpc_cmds[] = {
	{"acm.stats",  acm_rpc_stats,  acm_rpc_stats_doc,  0},
	{"acm.reload", acm_rpc_reload, acm_rpc_reload_doc, 0},
	{0, 0, 0, 0}
};

struct module_exports exports = {
	"acm",           /* module name */
	DEFAULT_DLFLAGS, /* dlopen flags */
	cmds,            /* script functions */
	params,          /* module parameters */
	acm_rpc_cmds,    /* RPC methods */
	mod_pvs,         /* pseudo-variables */
	0,               /* response function */
	mod_init,        /* module init (main process, before fork) */
	child_init,      /* per-process init (after fork) */
	mod_destroy      /* destroy */
};
/* clang-format on */

/* ---- helpers ----------------------------------------------------------- */

static long long acm_now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000LL + ts.tv_nsec / 1000000;
}

/* A Kamailio str as an acm_str: length-based, never relies on a NUL.
 * Empty (or negative length) means absent: {NULL, 0}. So does "<null>",
 * which is what a format string prints for a PV that has no value (a missing
 * header, an unset AVP): it is never a real number or address. */
static acm_str acm_str_of(const str *s)
{
	acm_str a = {NULL, 0};
	if(s != NULL && s->s != NULL && s->len > 0
			&& !(s->len == 6 && memcmp(s->s, "<null>", 6) == 0)) {
		a.ptr = s->s;
		a.len = (size_t)s->len;
	}
	return a;
}

/* Bounded length of a NUL-terminated field of the verdict. */
static int acm_field_len(const char *f, size_t cap)
{
	return (int)strnlen(f, cap);
}

static const char *acm_action_name(int32_t action)
{
	switch(action) {
		case ACM_ACTION_ALLOW:
			return "allow";
		case ACM_ACTION_FLAG:
			return "flag";
		case ACM_ACTION_BLOCK:
			return "block";
		default:
			return "allow";
	}
}

/* Engine action -> script return code. Never 0. */
static int acm_script_code(int32_t action)
{
	switch(action) {
		case ACM_ACTION_ALLOW:
			return 1;
		case ACM_ACTION_FLAG:
			return 2;
		case ACM_ACTION_BLOCK:
			return -1;
		default:
			LM_WARN("unknown engine action %d, failing open (allow)\n",
					(int)action);
			return 1;
	}
}

/* Make sure this process can check: lazily child-initialise processes that
 * were not SIP workers at fork time (timer routes, async workers). */
static void acm_ensure_child(void)
{
	char err[ACM_ERR_LEN];

	if(_acm_child_ready || _acm_child_failed)
		return;
	err[0] = '\0';
	if(acm_child_init((int32_t)_acm_rank, err, sizeof(err)) != ACM_OK) {
		err[sizeof(err) - 1] = '\0';
		LM_ERR("acm_child_init failed in process %d (rank %d): %s"
			   " - checks in this process fail open\n",
				process_no, _acm_rank, err);
		_acm_child_failed = 1;
		return;
	}
	/* as in child_init; a no-op in the main process (fork=no), whose exit
	 * runs mod_destroy */
	if(acm_flush_on_exit_signal() != ACM_OK)
		LM_WARN("acm: events queued in process %d may be lost at stop\n",
				process_no);
	_acm_child_ready = 1;
}

/* Apply an acm.reload requested since the last check of this process. */
static void acm_apply_reload(void)
{
	char err[ACM_ERR_LEN];
	int gen;

	if(_acm_shm == NULL)
		return;
	gen = __atomic_load_n(&_acm_shm->generation, __ATOMIC_ACQUIRE);
	if(gen == _acm_generation)
		return;
	_acm_generation = gen; /* one try per generation, not one per call */
	err[0] = '\0';
	if(acm_reload(err, sizeof(err)) != ACM_OK) {
		err[sizeof(err) - 1] = '\0';
		LM_ERR("acm_reload (generation %d) failed in process %d, keeping"
			   " the old config: %s\n",
				gen, process_no, err);
	} else {
		LM_INFO("acm config reloaded (generation %d) in process %d\n", gen,
				process_no);
	}
}

/* Copy this process's counters into its shared-memory slot. */
static void acm_publish_stats(int force)
{
	char buf[ACM_STATS_SLOT_LEN];
	acm_stats_slot_t *slot;
	long long now;
	int64_t need;
	int len;

	if(_acm_shm == NULL || _acm_shm->slots == NULL || process_no < 0
			|| process_no >= _acm_shm->nslots)
		return;
	now = acm_now_ms();
	if(!force && _acm_last_publish_ms >= 0
			&& now - _acm_last_publish_ms < (long long)_acm_stats_interval)
		return;
	_acm_last_publish_ms = now;

	need = acm_stats_json(buf, sizeof(buf));
	if(need < 0) {
		len = snprintf(buf, sizeof(buf), "{\"error\":\"acm_stats_json failed\"}");
	} else if(need >= (int64_t)sizeof(buf)) {
		len = snprintf(buf, sizeof(buf),
				"{\"error\":\"stats larger than %d bytes\",\"needed\":%lld}",
				ACM_STATS_SLOT_LEN, (long long)need);
	} else {
		len = (int)need;
	}
	if(len < 0)
		return;
	if(len >= (int)sizeof(buf))
		len = (int)sizeof(buf) - 1;

	slot = &_acm_shm->slots[process_no];
	lock_get(&_acm_shm->lock);
	memcpy(slot->json, buf, (size_t)len);
	slot->json[len] = '\0';
	slot->len = len;
	slot->pid = my_pid();
	slot->rank = _acm_rank;
	lock_release(&_acm_shm->lock);
}

/* ---- init / child_init / destroy -------------------------------------- */

/* Log what acm says about its start: the store the workers share (and its
 * memory bound), and warnings such as a per-process store while several SIP
 * workers (children) check calls. */
static void acm_log_start_notes(void)
{
	char notes[2048];
	char *line, *next;
	int32_t rc;

	notes[0] = '\0';
	rc = acm_start_notes((int32_t)children_no, notes, sizeof(notes));
	notes[sizeof(notes) - 1] = '\0';
	if(rc < 0) {
		LM_WARN("acm_start_notes failed: %s\n", notes);
		return;
	}
	for(line = notes; line != NULL && *line != '\0'; line = next) {
		next = strchr(line, '\n');
		if(next != NULL)
			*next++ = '\0';
		if(strncmp(line, "warning: ", 9) == 0)
			LM_WARN("acm: %s\n", line + 9);
		else if(strncmp(line, "info: ", 6) == 0)
			LM_INFO("acm: %s\n", line + 6);
		else
			LM_INFO("acm: %s\n", line);
	}
}

static int mod_init(void)
{
	char err[ACM_ERR_LEN];
	const char *path = (_acm_config != NULL && _acm_config[0] != '\0')
							   ? _acm_config
							   : NULL;

	LM_INFO("%s, config %s\n", acm_version(),
			path ? path : "(built-in defaults)");

	err[0] = '\0';
	if(acm_init(path, err, sizeof(err)) != ACM_OK) {
		err[sizeof(err) - 1] = '\0';
		LM_ERR("acm_init(%s) failed: %s\n", path ? path : "(defaults)", err);
		return -1;
	}
	acm_log_start_notes();

	_acm_shm = (acm_shared_t *)shm_malloc(sizeof(acm_shared_t));
	if(_acm_shm == NULL) {
		SHM_MEM_ERROR;
		return -1;
	}
	memset(_acm_shm, 0, sizeof(acm_shared_t));
	if(lock_init(&_acm_shm->lock) == NULL) {
		LM_ERR("cannot init the stats lock\n");
		shm_free(_acm_shm);
		_acm_shm = NULL;
		return -1;
	}
	if(_acm_stats_interval < 0)
		_acm_stats_interval = 0;
	return 0;
}

static int child_init(int rank)
{
	char err[ACM_ERR_LEN];
	int n;

	if(rank == PROC_INIT) {
		/* main process, after every mod_init, before any fork: the number
		 * of processes is known now */
		if(_acm_shm == NULL)
			return 0;
		n = get_max_procs();
		if(n <= 0)
			return 0;
		_acm_shm->slots = (acm_stats_slot_t *)shm_malloc(
				sizeof(acm_stats_slot_t) * (size_t)n);
		if(_acm_shm->slots == NULL) {
			SHM_MEM_ERROR;
			return -1;
		}
		memset(_acm_shm->slots, 0, sizeof(acm_stats_slot_t) * (size_t)n);
		_acm_shm->nslots = n;
		return 0;
	}

	_acm_rank = rank;
	if(_acm_shm != NULL)
		_acm_generation =
				__atomic_load_n(&_acm_shm->generation, __ATOMIC_ACQUIRE);

	/* main, TCP main, timers, RPC: no engine threads, no store there. They
	 * lazily child-initialise if a script ever calls acm_check in them. */
	if(rank <= 0)
		return 0;

	/* SIP workers (UDP/TCP/SCTP receivers) and rank-127 RPC-as-SIP workers */
	err[0] = '\0';
	if(acm_child_init((int32_t)rank, err, sizeof(err)) != ACM_OK) {
		err[sizeof(err) - 1] = '\0';
		LM_ERR("acm_child_init(rank %d) failed: %s\n", rank, err);
		return -1;
	}
	/* Kamailio ends a worker with _exit() from its SIGTERM handler; this makes
	 * the signal flush the worker's queued events (to ClickHouse or the spool)
	 * first. (The main process runs mod_destroy instead.) */
	if(acm_flush_on_exit_signal() != ACM_OK)
		LM_WARN("acm: events queued in worker rank %d may be lost at stop\n",
				rank);
	_acm_child_ready = 1;
	acm_publish_stats(1);
	return 0;
}

static void mod_destroy(void)
{
	/* called once in the main process at shutdown (SIP workers flush their
	 * own queues on the exit signal, see child_init) */
	acm_shutdown();
	/* shared memory is released with the whole segment at exit */
}

/* ---- the check ---------------------------------------------------------- */

static int acm_check_call(sip_msg_t *msg, str *caller, str *callee,
		str *source_ip, str *trunk, str *pai, str *attestation)
{
	acm_call call;
	int32_t action;

	memset(&call, 0, sizeof(call));
	if(msg != NULL && (msg->callid != NULL
			|| (parse_headers(msg, HDR_CALLID_F, 0) == 0
					&& msg->callid != NULL))) {
		call.call_id = acm_str_of(&msg->callid->body);
	}
	call.a_number = acm_str_of(caller);
	call.b_number = acm_str_of(callee);
	call.source_ip = acm_str_of(source_ip);
	call.trunk = acm_str_of(trunk);
	call.pai = acm_str_of(pai);
	call.attestation = acm_str_of(attestation);
	call.event_time_ms = 0; /* now */

	acm_ensure_child();
	acm_apply_reload();

	memset(&_acm_last, 0, sizeof(_acm_last));
	action = acm_check(&call, &_acm_last);
	/* trust nothing: terminate the text fields ourselves */
	_acm_last.reasons[ACM_REASONS_LEN - 1] = '\0';
	_acm_last.alert_id[ACM_ALERT_ID_LEN - 1] = '\0';
	_acm_last.action = action;
	_acm_have_last = 1;

	if(action == ACM_ACTION_BLOCK || action == ACM_ACTION_FLAG) {
		LM_INFO("acm %s: call-id [%.*s] a [%.*s] b [%.*s] reasons [%s]"
				" alert [%s]\n",
				acm_action_name(action), (int)(call.call_id.len > 128 ? 128 : call.call_id.len),
				call.call_id.ptr ? call.call_id.ptr : "",
				(int)(call.a_number.len > 64 ? 64 : call.a_number.len),
				call.a_number.ptr ? call.a_number.ptr : "",
				(int)(call.b_number.len > 64 ? 64 : call.b_number.len),
				call.b_number.ptr ? call.b_number.ptr : "",
				_acm_last.reasons, _acm_last.alert_id);
	}

	acm_publish_stats(_acm_stats_interval == 0);
	return acm_script_code(action);
}

static int acm_get_param(sip_msg_t *msg, char *p, str *out, int idx)
{
	out->s = NULL;
	out->len = 0;
	if(p == NULL)
		return 0;
	if(fixup_get_svalue(msg, (gparam_t *)p, out) != 0) {
		LM_WARN("cannot evaluate parameter %d of acm_check, using empty\n",
				idx);
		out->s = NULL;
		out->len = 0;
	}
	return 0;
}

static int w_acm_check2(sip_msg_t *msg, char *p1, char *p2)
{
	str a, b;
	acm_get_param(msg, p1, &a, 1);
	acm_get_param(msg, p2, &b, 2);
	return acm_check_call(msg, &a, &b, NULL, NULL, NULL, NULL);
}

static int w_acm_check6(sip_msg_t *msg, char *p1, char *p2, char *p3,
		char *p4, char *p5, char *p6)
{
	str a, b, ip, trunk, pai, att;
	acm_get_param(msg, p1, &a, 1);
	acm_get_param(msg, p2, &b, 2);
	acm_get_param(msg, p3, &ip, 3);
	acm_get_param(msg, p4, &trunk, 4);
	acm_get_param(msg, p5, &pai, 5);
	acm_get_param(msg, p6, &att, 6);
	return acm_check_call(msg, &a, &b, &ip, &trunk, &pai, &att);
}

/* ---- $acm(key) ---------------------------------------------------------- */

enum {
	ACM_PV_ACTION = 1,
	ACM_PV_REASONS,
	ACM_PV_ALERT_ID,
	ACM_PV_DISTINCT_CALLERS,
	ACM_PV_CLI_CALLS,
	ACM_PV_CHECK_US,
	ACM_PV_REASON_BITS
};

static int acm_key_id(const str *k)
{
	if(k == NULL || k->s == NULL)
		return -1;
#define ACM_KEY(lit, id)                                              \
	if(k->len == (int)sizeof(lit) - 1 && strncmp(k->s, lit, k->len) == 0) \
		return id;
	ACM_KEY("action", ACM_PV_ACTION)
	ACM_KEY("reasons", ACM_PV_REASONS)
	ACM_KEY("alert_id", ACM_PV_ALERT_ID)
	ACM_KEY("distinct_callers", ACM_PV_DISTINCT_CALLERS)
	ACM_KEY("cli_calls", ACM_PV_CLI_CALLS)
	ACM_KEY("check_us", ACM_PV_CHECK_US)
	ACM_KEY("reason_bits", ACM_PV_REASON_BITS)
#undef ACM_KEY
	return -1;
}

static int pv_parse_acm_name(pv_spec_t *sp, str *in)
{
	int id;

	if(sp == NULL || in == NULL || in->len <= 0)
		return -1;
	id = acm_key_id(in);
	if(id < 0) {
		LM_ERR("unknown key in $acm(%.*s): use action, reasons, alert_id,"
			   " distinct_callers, cli_calls, check_us, reason_bits\n",
				in->len, in->s);
		return -1;
	}
	sp->pvp.pvn.type = PV_NAME_INTSTR;
	sp->pvp.pvn.u.isname.type = 0;
	sp->pvp.pvn.u.isname.name.n = id;
	return 0;
}

static int acm_pv_value(sip_msg_t *msg, pv_param_t *param, pv_value_t *res,
		int id)
{
	str s;

	if(!_acm_have_last)
		return pv_get_null(msg, param, res);
	switch(id) {
		case ACM_PV_ACTION:
			s.s = (char *)acm_action_name(_acm_last.action);
			s.len = strlen(s.s);
			return pv_get_strval(msg, param, res, &s);
		case ACM_PV_REASONS:
			s.s = _acm_last.reasons;
			s.len = acm_field_len(_acm_last.reasons, ACM_REASONS_LEN);
			return pv_get_strval(msg, param, res, &s);
		case ACM_PV_ALERT_ID:
			s.s = _acm_last.alert_id;
			s.len = acm_field_len(_acm_last.alert_id, ACM_ALERT_ID_LEN);
			return pv_get_strval(msg, param, res, &s);
		case ACM_PV_DISTINCT_CALLERS:
			return pv_get_uintval(msg, param, res, _acm_last.distinct_callers);
		case ACM_PV_CLI_CALLS:
			return pv_get_uintval(msg, param, res, _acm_last.cli_calls);
		case ACM_PV_CHECK_US:
			return pv_get_uintval(msg, param, res, _acm_last.check_us);
		case ACM_PV_REASON_BITS:
			return pv_get_uintval(msg, param, res, _acm_last.reason_bits);
		default:
			return pv_get_null(msg, param, res);
	}
}

static int pv_get_acm(sip_msg_t *msg, pv_param_t *param, pv_value_t *res)
{
	if(param == NULL)
		return -1;
	return acm_pv_value(msg, param, res, param->pvn.u.isname.name.n);
}

/* ---- RPC ---------------------------------------------------------------- */

static void acm_rpc_stats(rpc_t *rpc, void *ctx)
{
	void *th, *ah, *ph;
	acm_stats_slot_t *slot;
	char *copy;
	int i, gen;

	if(_acm_shm == NULL) {
		rpc->fault(ctx, 500, "acm not initialised");
		return;
	}
	gen = __atomic_load_n(&_acm_shm->generation, __ATOMIC_ACQUIRE);
	if(rpc->add(ctx, "{", &th) < 0)
		return;
	rpc->struct_add(th, "sd", "version", acm_version(), "generation", gen);
	if(rpc->struct_add(th, "[", "processes", &ah) < 0)
		return;
	copy = (char *)pkg_malloc(ACM_STATS_SLOT_LEN);
	if(copy == NULL) {
		PKG_MEM_ERROR;
		return;
	}
	for(i = 0; _acm_shm->slots != NULL && i < _acm_shm->nslots; i++) {
		int pid, rank, len;
		slot = &_acm_shm->slots[i];
		lock_get(&_acm_shm->lock);
		pid = slot->pid;
		rank = slot->rank;
		len = slot->len;
		if(len > 0 && len < ACM_STATS_SLOT_LEN)
			memcpy(copy, slot->json, (size_t)len);
		lock_release(&_acm_shm->lock);
		if(len <= 0 || len >= ACM_STATS_SLOT_LEN)
			continue;
		copy[len] = '\0';
		if(rpc->array_add(ah, "{", &ph) < 0)
			break;
		rpc->struct_add(ph, "ddds", "process_no", i, "pid", pid, "rank",
				rank, "stats", copy);
	}
	pkg_free(copy);
}

static void acm_rpc_reload(rpc_t *rpc, void *ctx)
{
	char err[ACM_ERR_LEN];
	int gen;

	if(_acm_shm == NULL) {
		rpc->fault(ctx, 500, "acm not initialised");
		return;
	}
	/* validate in this (RPC) process first: a broken file is reported to
	 * the operator and the workers keep running the old config */
	err[0] = '\0';
	if(acm_reload(err, sizeof(err)) != ACM_OK) {
		err[sizeof(err) - 1] = '\0';
		LM_ERR("acm.reload refused: %s\n", err);
		rpc->fault(ctx, 500, "acm config invalid: %s", err);
		return;
	}
	gen = __atomic_add_fetch(&_acm_shm->generation, 1, __ATOMIC_ACQ_REL);
	LM_INFO("acm.reload: generation %d, workers reload before their next"
			" check\n", gen);
	rpc->rpl_printf(ctx, "ok generation %d", gen);
}

/* ---- KEMI ---------------------------------------------------------------- */

static int ki_acm_check(sip_msg_t *msg, str *caller, str *callee)
{
	return acm_check_call(msg, caller, callee, NULL, NULL, NULL, NULL);
}

static int ki_acm_check_ext(sip_msg_t *msg, str *caller, str *callee,
		str *source_ip, str *trunk, str *pai, str *attestation)
{
	return acm_check_call(
			msg, caller, callee, source_ip, trunk, pai, attestation);
}

static sr_kemi_xval_t _acm_xval;

static sr_kemi_xval_t *ki_acm_get(sip_msg_t *msg, str *key)
{
	int id = acm_key_id(key);

	memset(&_acm_xval, 0, sizeof(_acm_xval));
	if(id < 0 || !_acm_have_last) {
		sr_kemi_xval_null(&_acm_xval, SR_KEMI_XVAL_NULL_EMPTY);
		return &_acm_xval;
	}
	switch(id) {
		case ACM_PV_ACTION:
			_acm_xval.vtype = SR_KEMIP_STR;
			_acm_xval.v.s.s = (char *)acm_action_name(_acm_last.action);
			_acm_xval.v.s.len = strlen(_acm_xval.v.s.s);
			break;
		case ACM_PV_REASONS:
			_acm_xval.vtype = SR_KEMIP_STR;
			_acm_xval.v.s.s = _acm_last.reasons;
			_acm_xval.v.s.len = acm_field_len(_acm_last.reasons, ACM_REASONS_LEN);
			break;
		case ACM_PV_ALERT_ID:
			_acm_xval.vtype = SR_KEMIP_STR;
			_acm_xval.v.s.s = _acm_last.alert_id;
			_acm_xval.v.s.len =
					acm_field_len(_acm_last.alert_id, ACM_ALERT_ID_LEN);
			break;
		case ACM_PV_DISTINCT_CALLERS:
			_acm_xval.vtype = SR_KEMIP_INT;
			_acm_xval.v.n = (int)_acm_last.distinct_callers;
			break;
		case ACM_PV_CLI_CALLS:
			_acm_xval.vtype = SR_KEMIP_INT;
			_acm_xval.v.n = (int)_acm_last.cli_calls;
			break;
		case ACM_PV_CHECK_US:
			_acm_xval.vtype = SR_KEMIP_INT;
			_acm_xval.v.n = (int)_acm_last.check_us;
			break;
		case ACM_PV_REASON_BITS:
			_acm_xval.vtype = SR_KEMIP_INT;
			_acm_xval.v.n = (int)_acm_last.reason_bits;
			break;
		default:
			sr_kemi_xval_null(&_acm_xval, SR_KEMI_XVAL_NULL_EMPTY);
	}
	return &_acm_xval;
}

/* clang-format off */
static sr_kemi_t sr_kemi_acm_exports[] = {
	{ str_init("acm"), str_init("check"),
		SR_KEMIP_INT, ki_acm_check,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ str_init("acm"), str_init("check_ext"),
		SR_KEMIP_INT, ki_acm_check_ext,
		{ SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR,
			SR_KEMIP_STR, SR_KEMIP_STR, SR_KEMIP_STR }
	},
	{ str_init("acm"), str_init("get"),
		SR_KEMIP_XVAL, ki_acm_get,
		{ SR_KEMIP_STR, SR_KEMIP_NONE, SR_KEMIP_NONE,
			SR_KEMIP_NONE, SR_KEMIP_NONE, SR_KEMIP_NONE }
	},
	{ {0, 0}, {0, 0}, 0, NULL, { 0, 0, 0, 0, 0, 0 } }
};
/* clang-format on */

int mod_register(char *path, int *dlflags, void *p1, void *p2)
{
	sr_kemi_modules_add(sr_kemi_acm_exports);
	return 0;
}
