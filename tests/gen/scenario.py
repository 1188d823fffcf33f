#!/usr/bin/env python3
"""Deterministic outage scenario generator for faultline (standard library only).

It simulates a small microservice shop and writes what its services would
have logged, plus the change log and the ground truth:

    frontend -> api -> {cart, search, payments}      admin -> postgres
    cart -> postgres, payments -> postgres, search -> cache

Every user request that reaches `frontend` (Poisson arrivals, rate drifting
by a slow sinusoid plus a small random walk, within +-20%) becomes a call
tree; every hop writes one log line when it finishes (so callers and callees
both log, and a caller's latency includes its callees').  Per-hop latency is
lognormal around a per-service median.  Failures propagate: a failing callee
makes its caller fail with high probability, and the caller's message names
the callee ("upstream cart returned 503", "connection refused to
postgres:5432").  Saturation is modelled per service as utilisation
rho = rho0 * load / capacity: latency climbs past rho 0.7, requests are shed
past rho 0.95.

A line of a service that called another names it (`upstream`, or ECS
`service.target.name`).  Each service writes its own log dialect (simple
keys, ECS nested, ECS flattened, epoch-millisecond timestamps, RFC 3339
with +02:00, level-only database logs), lines are written by several
workers (up to 2 s out of order), and ~0.1% of lines are malformed
(truncated JSON, binary junk, invalid UTF-8).

Output files in --out DIR:
    logs-a.jsonl   edge services: frontend, api, admin
    logs-b.jsonl   backends: cart, search, payments, postgres, cache
    deploys.jsonl  change events (deploy, config, rollback, flag)
    truth.json     what was injected and which cause a tool should rank first

Every random choice comes from one random.Random(seed): the same arguments
give byte-identical files (the generator is seeded with "KIND/SEED").
`--list` prints the scenario kinds.
"""

import argparse
import bisect
import calendar
import json
import math
import os
import random
import sys
import time

# ---------------------------------------------------------------- kinds

KINDS = [
    ("bad_deploy_errors", "a deploy of X makes X's error rate jump (15-25%) 20-90 s later"),
    ("bad_deploy_latency", "a deploy of X multiplies X's latency by 4-8x"),
    ("bad_config", "a config change on X raises X's error rate"),
    ("surge_benign_deploy", "entry traffic rises 3.5-5x, a capacity-limited backend saturates; "
                            "a benign deploy of an unrelated service happens minutes before"),
    ("failing_dependency", "postgres fails (errors + latency) for 8-15 min; a benign deploy "
                           "of one of its callers happens 1-3 min before"),
    ("two_deploys_one_bad", "two deploys of different services 1-4 min apart, only one bad"),
    ("slow_burn", "after a deploy of X, X's latency grows linearly to 3-5x over 30 min"),
    ("low_traffic", "a bad deploy of the low-traffic admin service fails 30-60% of its requests"),
    ("deploy_then_rollback", "bad deploy of X, then a rollback 8-15 min later after which X recovers"),
    ("surge_breaks_update", "a deploy lowers X's capacity; X is fine at normal load, then a "
                            "traffic surge 3-10 min later breaks it"),
    ("quiet", "nothing goes wrong: benign changes and normal drift"),
    ("quiet_night", "nothing goes wrong at low overnight traffic (0.5 req/s at the entry)"),
    # harder kinds: small, partial and noisy, as real outages are
    ("canary", "a deploy of X reaches 10-25% of its hosts (version/host fields) and fails "
               "40-80% of their requests"),
    ("slow_leak", "a deploy of X leaks; errors and latency appear 30-45 min later, after "
                  "deploys of other services"),
    ("flag_breaks_callee", "a feature flag flipped on api makes a service it calls fail"),
    ("overlapping", "a bad deploy in the shop and, 1-4 min apart, a bad config of admin: two "
                    "incidents in different parts of the system"),
    ("mid_graph_failure", "cart or search fails (no change recorded) with a benign deploy of "
                          "api 1-3 min before"),
    ("surge_second_entry", "traffic at the admin entry rises ~25x and saturates postgres; the "
                           "frontend entry stays flat"),
    ("benign_at_onset", "a bad deploy of X with benign changes of other services (one its "
                        "caller) within a minute of the onset"),
    ("vague_errors", "a bad deploy of X whose callers' errors mostly do not name it"),
    ("small_fault", "a bad deploy of X fails 3-6% of its requests"),
    ("quiet_ramp", "nothing goes wrong: a sharp legitimate 2.5-4x traffic ramp that the "
                   "services absorb"),
]
KIND_NAMES = [k for k, _ in KINDS]

# ---------------------------------------------------------------- system model

ENTRY = "frontend"
LOW_ENTRY = "admin"
SERVICES = ["frontend", "api", "cart", "search", "payments", "postgres", "cache", "admin"]
FILE_A_SERVICES = ("frontend", "api", "admin")        # edge -> logs-a.jsonl
# log dialect of each service
FORMAT = {
    "frontend": "simple_offset",   # RFC 3339 with +02:00
    "api": "simple",
    "cart": "ecs_nested",          # event.duration in ns
    "search": "epoch_ms",          # ts as epoch milliseconds, duration_ms
    "payments": "ecs_flat",        # dotted keys
    "postgres": "db",              # no status: level decides error
    "cache": "kv",                 # "time", "message", no status
    "admin": "simple_timestamp",   # "timestamp" key
}
MEDIAN_MS = {"frontend": 6.0, "api": 4.0, "cart": 10.0, "search": 22.0, "payments": 35.0,
             "postgres": 2.5, "cache": 0.6, "admin": 25.0}
RHO0 = 0.10                      # nominal utilisation of every service at base load
# caller -> callee time-outs (ms)
TIMEOUT_MS = {"frontend": 10000.0, "api": 3000.0, "cart": 1500.0, "payments": 1500.0,
              "search": 250.0, "admin": 5000.0}
# probability that a failing callee makes the caller fail
PROPAGATE = {("search", "cache"): 0.25}
PROPAGATE_DEFAULT = 0.9


def node(svc, method, path, children=()):
    return (svc, method, path, tuple(children))


def pg(stmt):
    return node("postgres", "SQL", stmt)


CACHE_GET = node("cache", "GET", "search:results")
CACHE_GET_P = node("cache", "GET", "product")

# (weight, call tree) for requests entering at frontend
ROUTES = [
    (0.15, node("frontend", "GET", "/", [(1.0, node("api", "GET", "/v1/home"))])),
    (0.20, node("frontend", "GET", "/cart", [(1.0, node("api", "GET", "/v1/cart", [
        (1.0, node("cart", "GET", "/cart/items", [
            (0.8, pg("SELECT * FROM cart_items WHERE user_id = $1"))]))]))])),
    (0.08, node("frontend", "POST", "/cart", [(1.0, node("api", "POST", "/v1/cart", [
        (1.0, node("cart", "POST", "/cart/items", [
            (1.0, pg("INSERT INTO cart_items (user_id, sku, qty) VALUES ($1, $2, $3)"))]))]))])),
    (0.30, node("frontend", "GET", "/search", [(1.0, node("api", "GET", "/v1/search", [
        (1.0, node("search", "GET", "/query", [(0.9, CACHE_GET)]))]))])),
    (0.15, node("frontend", "GET", "/product", [(1.0, node("api", "GET", "/v1/product", [
        (1.0, node("search", "GET", "/product", [(0.95, CACHE_GET_P)]))]))])),
    (0.12, node("frontend", "POST", "/checkout", [(1.0, node("api", "POST", "/v1/checkout", [
        (1.0, node("payments", "POST", "/charge", [
            (1.0, pg("INSERT INTO payments (order_id, amount) VALUES ($1, $2)"))]))]))])),
]
ADMIN_ROUTES = [
    (0.5, node("admin", "GET", "/admin/orders", [
        (1.0, pg("SELECT * FROM orders ORDER BY created_at DESC LIMIT 50"))])),
    (0.3, node("admin", "GET", "/admin/dashboard")),
    (0.2, node("admin", "POST", "/admin/refund", [
        (1.0, pg("UPDATE payments SET status = 'refunded' WHERE id = $1"))])),
]

BG_MSGS = {
    "frontend": ["internal error: template render failed", "upstream connect error or disconnect/reset before headers"],
    "api": ["internal error: context canceled", "internal error: unexpected EOF reading request body"],
    "cart": ["internal error: failed to decode session", "internal error: context deadline exceeded"],
    "search": ["internal error: index shard unavailable", "internal error: query parse failure"],
    "payments": ["internal error: idempotency key conflict", "provider error: card network timeout"],
    "postgres": ["ERROR: could not serialize access due to concurrent update",
                 "ERROR: deadlock detected"],
    "cache": ["ERR connection reset by peer", "LOADING Redis is loading the dataset in memory"],
    "admin": ["internal error: report generation failed", "internal error: session store unavailable"],
}
SAT_MSGS = ["overloaded: request queue full, rejecting", "too many in-flight requests (limit reached)",
            "worker pool exhausted, shedding load"]
DEPLOY_BUG_MSGS = ["panic: runtime error: invalid memory address or nil pointer dereference",
                   "internal error: failed to unmarshal response: unknown field \"line_items\"",
                   "internal error: schema mismatch on column \"discount_code\""]
CONFIG_BUG_MSGS = ["connection pool exhausted (max_conns=2)",
                   "invalid configuration: feature.timeout_ms must be > 0, using 0",
                   "rate limiter rejected request: quota exceeded"]
DB_FAIL_MSGS = ["FATAL: sorry, too many clients already",
                "ERROR: canceling statement due to statement timeout",
                "FATAL: remaining connection slots are reserved for non-replication superuser connections"]
VAGUE_MSGS = ["internal server error", "request failed", "unexpected error while handling request",
              "failed to build response"]
LEAK_MSGS = ["out of memory: heap limit reached, worker restarted",
             "runtime: cannot allocate memory", "worker exited (OOMKilled), request aborted"]
FLAG_BREAK_MSGS = ["invalid request: unknown enum value \"v2\" in field \"mode\"",
                   "bad request payload: missing required field \"tenant_id\"",
                   "internal error: cannot decode request: unexpected field \"options\""]
AUTHORS = ["alice", "bob", "carol", "dmitri", "emeka", "fatima", "gwen", "hiro"]
BOTS = ["deploy-bot", "ci-bot"]

# ---------------------------------------------------------------- time helpers


def parse_rfc3339(s):
    s = s.strip()
    if s.endswith("Z") or s.endswith("z"):
        s = s[:-1] + "+00:00"
    main, off = s[:-6], s[-6:]
    frac = 0.0
    if "." in main:
        main, f = main.split(".", 1)
        frac = float("0." + f)
    tt = time.strptime(main, "%Y-%m-%dT%H:%M:%S")
    sign = 1 if off[0] == "+" else -1
    offs = sign * (int(off[1:3]) * 3600 + int(off[4:6]) * 60)
    return calendar.timegm(tt) + frac - offs


_SEC_CACHE = {}


def _sec_str(sec):
    s = _SEC_CACHE.get(sec)
    if s is None:
        s = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(sec))
        _SEC_CACHE[sec] = s
    return s


def ts_z(ms):
    """RFC 3339 UTC with milliseconds from integer epoch ms."""
    return "%s.%03dZ" % (_sec_str(ms // 1000), ms % 1000)


def ts_plus2(ms):
    return "%s.%03d+02:00" % (_sec_str(ms // 1000 + 7200), ms % 1000)


def iso_s(t):
    """RFC 3339 UTC, whole seconds (for truth and change events)."""
    ms = int(round(t * 1000))
    if ms % 1000 == 0:
        return _sec_str(ms // 1000) + "Z"
    return ts_z(ms)


# ---------------------------------------------------------------- scenario


class Effect:
    """A change of one service's behaviour: extra error rate and/or a latency
    multiplier, ramping in linearly over `ramp` s from t0, optionally ending
    at t1 (ramping out over ramp_down s)."""

    def __init__(self, svc, t0, ramp, err=0.0, lat=1.0, t1=None, ramp_down=30.0, msgs=(), frac=1.1):
        self.svc, self.t0, self.ramp, self.err, self.lat = svc, t0, ramp, err, lat
        self.frac = frac          # share of hosts affected (u < frac), > 1 for all
        self.t1, self.ramp_down, self.msgs = t1, ramp_down, list(msgs)

    def level(self, t):
        if t < self.t0:
            return 0.0
        f = min(1.0, (t - self.t0) / self.ramp) if self.ramp > 0 else 1.0
        if self.t1 is not None and t > self.t1:
            f *= max(0.0, 1.0 - (t - self.t1) / self.ramp_down)
        return f


class Scenario:
    def __init__(self, kind, seed, start, minutes, scale):
        self.kind, self.seed, self.scale = kind, seed, scale
        # one RNG for every draw; seeded by kind and seed together so that the
        # kinds of one seed do not all pick the same services and times
        self.rng = rng = random.Random("%s/%d" % (kind, seed))
        self.T0 = float(int(start))
        self.D = float(int(minutes * 60))
        self.T1 = self.T0 + self.D
        self.entry_rate = rng.uniform(3.0, 3.5) * scale
        self.admin_rate = rng.uniform(0.1, 0.3) * scale
        if kind == "quiet_night":
            self.entry_rate = 0.5 * scale
            self.admin_rate = 0.05 * scale
        self.sigma = {s: rng.uniform(0.4, 0.6) for s in SERVICES}
        self.base_err = {s: rng.uniform(0.001, 0.005) for s in SERVICES}
        self.rho0 = {s: RHO0 for s in SERVICES}
        self.cap = {s: [] for s in SERVICES}          # (t, factor): capacity after t
        self.effects = {s: [] for s in SERVICES}
        self.versions = {}
        for s in SERVICES:
            self.versions[s] = "v%d.%d.%d" % (rng.randint(1, 4), rng.randint(0, 12), rng.randint(0, 9))
        self.changes = []                               # dicts, event ts as float
        self.deploy_hist = {s: [(self.T0 - 86400.0, self.versions[s], 1.1)] for s in SERVICES}
        self.surge = None                               # (start, ramp, plateau, down, factor)
        self.asurge = None                              # the same at the admin entry
        self.vague = {}                                 # svc -> share of propagated errors
                                                        # that name neither callee nor upstream
        self._make_drift()
        self.truth = {"kind": kind, "seed": seed, "quiet": kind in ("quiet", "quiet_night", "quiet_ramp"),
                      "fault_start": None, "fault_end": None, "expected_top": None,
                      "acceptable_top3": [], "duration_s": int(self.D), "services": list(SERVICES),
                      "start": iso_s(self.T0), "end": iso_s(self.T1), "entry_service": ENTRY}
        self.forbid = []                                # (t0, t1, services or None) for benign changes
        getattr(self, "_kind_" + kind)()
        self._benign_changes()
        self.changes.sort(key=lambda c: c["t"])

    # -- traffic ------------------------------------------------------

    def _make_drift(self):
        rng = self.rng
        n_min = int(self.D // 60) + 3
        amp = rng.uniform(0.06, 0.10)
        period = rng.uniform(45.0, 100.0) * 60.0
        phase = rng.uniform(0.0, 2 * math.pi)
        walk, w = [], 0.0
        for _ in range(n_min):
            walk.append(w)
            w = max(-0.1, min(0.1, w + rng.gauss(0.0, 0.025)))
        self.drift = []
        for sec in range(int(self.D) + 120):
            i, fr = divmod(sec, 60)
            rw = walk[i] + (walk[i + 1] - walk[i]) * fr / 60.0
            m = 1.0 + amp * math.sin(2 * math.pi * sec / period + phase) + rw
            self.drift.append(max(0.8, min(1.2, m)))

    def drift_at(self, t):
        i = int(t - self.T0)
        if i < 0:
            i = 0
        elif i >= len(self.drift):
            i = len(self.drift) - 1
        return self.drift[i]

    def surge_at(self, t, which=None):
        sg = self.surge if which is None else which
        if sg is None:
            return 1.0
        s0, ramp, plateau, down, k = sg
        x = t - s0
        if x <= 0:
            return 1.0
        if x < ramp:     # smooth (cosine) ramp up
            return 1.0 + (k - 1.0) * 0.5 * (1 - math.cos(math.pi * x / ramp))
        x -= ramp
        if x < plateau:
            return k
        x -= plateau
        if x < down:
            return 1.0 + (k - 1.0) * 0.5 * (1 + math.cos(math.pi * x / down))
        return 1.0

    def load_at(self, t):
        return self.drift_at(t) * self.surge_at(t)

    def cap_at(self, svc, t):
        c = 1.0
        for (t0, f, ramp) in self.cap[svc]:
            if t >= t0:
                c = c + (f - c) * min(1.0, (t - t0) / ramp)
        return c

    # -- behaviour of a service at time t ----------------------------

    def state(self, svc, t, u=0.0):
        """(error parts [(rate, msgs)], multiplier of the service's own work
        (queueing when saturated), multiplier of the whole hop latency
        (a fault effect: the service is slow, whatever its callees do))."""
        parts = [(self.base_err[svc], BG_MSGS[svc])]
        lat_own = lat_all = 1.0
        for e in self.effects[svc]:
            if u >= e.frac:
                continue          # a canary: this request went to an old host
            f = e.level(t)
            if f > 0.0:
                if e.err:
                    parts.append((e.err * f, e.msgs))
                if e.lat != 1.0:
                    lat_all *= 1.0 + (e.lat - 1.0) * f
        if svc != LOW_ENTRY:
            load = self.load_at(t)
            if svc == "postgres" and self.asurge is not None:
                # postgres serves both entries: ~40% of frontend requests and
                # ~70% of admin requests reach it
                fe, ad = self.entry_rate * 0.4, self.admin_rate * 0.7
                load = (fe * load + ad * self.drift_at(t) * self.surge_at(t, self.asurge)) / (fe + ad)
            rho = self.rho0[svc] * load / self.cap_at(svc, t)
            if rho > 0.7:
                lat_own *= min(12.0, 1.0 + 6.0 * ((min(rho, 1.3) - 0.7) / 0.3) ** 1.5)
            if rho > 0.95:
                parts.append((1.0 - 0.95 / rho, SAT_MSGS))
        return parts, lat_own, lat_all

    # -- changes --------------------------------------------------------

    def _cid(self, prefix):
        return "%s-%06x" % (prefix, self.rng.getrandbits(24))

    def _bump(self, svc):
        maj, mi, pa = (int(x) for x in self.versions[svc][1:].split("."))
        if self.rng.random() < 0.3:
            mi, pa = mi + 1, 0
        else:
            pa += 1
        return "v%d.%d.%d" % (maj, mi, pa)

    def add_change(self, t, kind, svc, author=None, frac=1.1):
        rng = self.rng
        c = {"t": t, "kind": kind, "service": svc}
        if kind == "deploy":
            v = self._bump(svc)
            c["old_version"] = self.versions[svc]
            self.versions[svc] = v
            c["version"] = v
            c["change_id"] = self._cid("chg")
            self.deploy_hist[svc].append((t, v, frac))
        elif kind == "rollback":
            hist = self.deploy_hist[svc]
            v = hist[-2][1] if len(hist) >= 2 else self.versions[svc]
            self.versions[svc] = v
            c["version"] = v
            c["change_id"] = self._cid("chg")
            self.deploy_hist[svc].append((t, v, 1.1))
        elif kind == "config":
            c["change_id"] = self._cid("cfg")
        else:  # flag
            c["change_id"] = "flag-" + rng.choice(["new-checkout", "search-v2-ranking", "cart-recs",
                                                   "dark-mode", "async-refunds"]) + "-%02d" % rng.randint(1, 99)
        if author is None:
            author = rng.choice(BOTS) if kind in ("deploy", "rollback") and rng.random() < 0.6 \
                else rng.choice(AUTHORS)
        c["author"] = author
        self.changes.append(c)
        return c

    def version_at(self, svc, t, u):
        """Version label of the instance serving a request at t; a deploy
        rolls out over 20 s (u in [0,1) picks the instance); a canary
        reaches only the hosts with u < frac."""
        hist = self.deploy_hist[svc]
        for i in range(len(hist) - 1, -1, -1):
            dt, v, frac = hist[i]
            if t >= dt + 20.0 * u and u < frac:
                return v
        return hist[0][1]

    def _benign_changes(self):
        rng = self.rng
        quiet = self.truth["quiet"]
        n = max(1, int(round(rng.uniform(1.0, 4.0) * self.D / 3600.0)))
        if quiet:
            n = max(n, 4 if self.kind == "quiet" else 3)
        svcs = ["frontend", "api", "cart", "search", "payments", "admin",
                "frontend", "api", "cart", "search", "payments", "postgres", "cache"]
        made, tries = 0, 0
        while made < n and tries < 200:
            tries += 1
            t = self.T0 + rng.uniform(120.0, max(180.0, self.D - 60.0))
            svc = rng.choice(svcs)
            r = rng.random()
            kind = "deploy" if r < 0.6 else ("config" if r < 0.9 else "flag")
            if svc in ("postgres", "cache") and kind == "deploy":
                kind = "config"
            bad = False
            for (a, b, only) in self.forbid:
                if a <= t <= b and (only is None or svc in only):
                    bad = True
            if any(abs(c["t"] - t) < 60.0 for c in self.changes):
                bad = True
            if bad:
                continue
            self.add_change(t, kind, svc)
            made += 1

    # -- helpers for kinds ------------------------------------------

    def _t(self, lo_frac, hi_frac):
        return self.T0 + self.rng.uniform(lo_frac, hi_frac) * self.D

    def _expect(self, kind, svc, ref, alts=()):
        self.truth["expected_top"] = {"kind": kind, "service": svc, "ref_contains": ref}
        acc = [{"kind": kind, "service": svc}]
        for k, s in alts:
            acc.append({"kind": k, "service": s})
        self.truth["acceptable_top3"] = acc

    def _fault(self, start, end, cause_t, affected):
        self.truth["fault_start"] = iso_s(start)
        self.truth["fault_end"] = iso_s(min(end, self.T1))
        self.truth["cause_at"] = iso_s(cause_t)
        self.truth["affected"] = affected
        # keep random benign changes away from the cause and the onset
        self.forbid.append((cause_t - 600.0, start + 180.0, None))
        self.forbid.append((cause_t - 600.0, end, set(affected)))

    def _set_surge(self, s0, kmin=3.5, kmax=5.0):
        rng = self.rng
        ramp = rng.uniform(60.0, 120.0)
        plateau = rng.uniform(8.0, 14.0) * 60.0
        down = rng.uniform(120.0, 240.0)
        k = rng.uniform(kmin, kmax)
        end = s0 + ramp + plateau + down
        if end > self.T1 - 60.0:            # keep it inside the scenario
            plateau = max(120.0, plateau - (end - (self.T1 - 60.0)))
            end = s0 + ramp + plateau + down
        self.surge = (s0, ramp, plateau, down, k)
        self.truth["surge"] = {"start": iso_s(s0), "ramp_s": round(ramp, 1),
                               "plateau_s": round(plateau, 1), "down_s": round(down, 1),
                               "factor": round(k, 2)}
        return end

    def _detail(self, **kw):
        self.truth.setdefault("detail", {}).update(kw)

    # -- kinds ----------------------------------------------------------

    def _kind_bad_deploy_errors(self):
        rng = self.rng
        x = rng.choice(["cart", "search", "payments", "api"])
        td = self._t(0.5, 0.6)
        c = self.add_change(td, "deploy", x)
        onset = td + rng.uniform(20.0, 90.0)
        err = rng.uniform(0.15, 0.25)
        self.effects[x].append(Effect(x, onset, 30.0, err=err, msgs=DEPLOY_BUG_MSGS))
        self._fault(onset, self.T1, td, [x])
        self._expect("deploy", x, c["version"], [("service", x)])
        self._detail(service=x, version=c["version"], change_id=c["change_id"], error_rate=round(err, 3))

    def _kind_bad_deploy_latency(self):
        rng = self.rng
        x = rng.choice(["cart", "search", "payments", "api"])
        td = self._t(0.5, 0.6)
        c = self.add_change(td, "deploy", x)
        onset = td + rng.uniform(20.0, 90.0)
        lat = rng.uniform(4.0, 8.0)
        self.effects[x].append(Effect(x, onset, 30.0, lat=lat))
        self._fault(onset, self.T1, td, [x])
        self._expect("deploy", x, c["version"], [("service", x)])
        self._detail(service=x, version=c["version"], change_id=c["change_id"], latency_factor=round(lat, 2))

    def _kind_bad_config(self):
        rng = self.rng
        x = rng.choice(["api", "cart", "search", "payments", "frontend"])
        tc = self._t(0.5, 0.6)
        c = self.add_change(tc, "config", x, author=rng.choice(AUTHORS))
        onset = tc + rng.uniform(10.0, 60.0)     # configs apply quickly
        err = rng.uniform(0.08, 0.20)
        lat = rng.uniform(1.0, 2.0)
        self.effects[x].append(Effect(x, onset, 20.0, err=err, lat=lat, msgs=CONFIG_BUG_MSGS))
        self._fault(onset, self.T1, tc, [x])
        self._expect("config", x, c["change_id"], [("service", x)])
        self._detail(service=x, change_id=c["change_id"], error_rate=round(err, 3), latency_factor=round(lat, 2))

    def _kind_surge_benign_deploy(self):
        rng = self.rng
        limited = rng.choice(["search", "cart"])
        self.rho0[limited] = 0.30
        other = rng.choice([s for s in ["cart", "payments", "admin"] if s != limited])
        tb = self._t(0.5, 0.56)
        c = self.add_change(tb, "deploy", other)
        s0 = tb + rng.uniform(120.0, 360.0)
        end = self._set_surge(s0)
        self._fault(s0, end, tb, [limited, "api", ENTRY])
        self.forbid.append((tb - 600.0, end, set([other])))
        # a change of the saturating service, even long before, would make
        # this indistinguishable from surge_breaks_update
        self.forbid.append((self.T0, end, set([limited])))
        self._expect("traffic_surge", ENTRY, None, [("service", limited)])
        self._detail(limited_service=limited, limited_rho0=0.30, benign_deploy_service=other,
                     benign_version=c["version"], benign_change_id=c["change_id"])

    def _kind_failing_dependency(self):
        rng = self.rng
        caller = rng.choice(["payments", "cart"])
        tb = self._t(0.5, 0.58)
        c = self.add_change(tb, "deploy", caller)
        onset = tb + rng.uniform(60.0, 180.0)
        dur = rng.uniform(8.0, 15.0) * 60.0
        err = rng.uniform(0.15, 0.35)
        lat = rng.uniform(3.0, 6.0)
        self.effects["postgres"].append(Effect("postgres", onset, 20.0, err=err, lat=lat,
                                               t1=onset + dur, ramp_down=60.0, msgs=DB_FAIL_MSGS))
        self._fault(onset, onset + dur + 60.0, onset, ["postgres", "cart", "payments", "admin"])
        self.forbid.append((tb - 600.0, onset + dur + 60.0, set([caller])))
        self.forbid.append((self.T0, onset + dur + 60.0, set(["postgres"])))  # no change explains it
        self._expect("service", "postgres", None)
        self._detail(benign_deploy_service=caller, benign_version=c["version"],
                     benign_change_id=c["change_id"], error_rate=round(err, 3),
                     latency_factor=round(lat, 2), duration_s=round(dur))

    def _kind_two_deploys_one_bad(self):
        rng = self.rng
        a, b = rng.sample(["cart", "search", "payments", "api"], 2)
        t1 = self._t(0.5, 0.56)
        t2 = t1 + rng.uniform(60.0, 240.0)
        c1 = self.add_change(t1, "deploy", a)
        c2 = self.add_change(t2, "deploy", b)
        bad_first = rng.random() < 0.5
        bad, cb, tbad = (a, c1, t1) if bad_first else (b, c2, t2)
        onset = tbad + rng.uniform(20.0, 90.0)
        err = rng.uniform(0.10, 0.25)
        self.effects[bad].append(Effect(bad, onset, 30.0, err=err, msgs=DEPLOY_BUG_MSGS))
        self._fault(onset, self.T1, tbad, [bad])
        self.forbid.append((t1 - 600.0, self.T1, set([a, b])))
        self._expect("deploy", bad, cb["version"], [("service", bad)])
        self._detail(bad_service=bad, bad_version=cb["version"], bad_change_id=cb["change_id"],
                     bad_is_first=bad_first, good_service=b if bad_first else a,
                     error_rate=round(err, 3))

    def _kind_slow_burn(self):
        rng = self.rng
        x = rng.choice(["cart", "search", "payments"])
        grow = min(1800.0, self.D * 0.45)
        td = self.T0 + rng.uniform(0.5 * self.D, max(0.5 * self.D, self.D - grow - 60.0))
        c = self.add_change(td, "deploy", x)
        g = rng.uniform(3.0, 5.0)
        self.effects[x].append(Effect(x, td + 10.0, grow, lat=g))
        self._fault(td + 10.0, self.T1, td, [x])
        # the drift is slow to show: no unrelated change while it builds up
        self.forbid.append((td, td + 0.5 * grow, None))
        self._expect("deploy", x, c["version"], [("service", x)])
        self._detail(service=x, version=c["version"], change_id=c["change_id"],
                     final_latency_factor=round(g, 2), growth_s=round(grow))

    def _kind_low_traffic(self):
        rng = self.rng
        td = self._t(0.5, 0.6)
        c = self.add_change(td, "deploy", LOW_ENTRY)
        onset = td + rng.uniform(20.0, 90.0)
        err = rng.uniform(0.30, 0.60)
        self.effects[LOW_ENTRY].append(Effect(LOW_ENTRY, onset, 20.0, err=err, msgs=DEPLOY_BUG_MSGS))
        self._fault(onset, self.T1, td, [LOW_ENTRY])
        self._expect("deploy", LOW_ENTRY, c["version"], [("service", LOW_ENTRY)])
        self._detail(service=LOW_ENTRY, version=c["version"], change_id=c["change_id"],
                     error_rate=round(err, 3), request_rate=round(self.admin_rate, 3))

    def _kind_deploy_then_rollback(self):
        rng = self.rng
        x = rng.choice(["cart", "search", "payments", "api"])
        td = self._t(0.5, 0.56)
        c = self.add_change(td, "deploy", x)
        onset = td + rng.uniform(20.0, 90.0)
        tr = td + rng.uniform(8.0, 15.0) * 60.0
        cr = self.add_change(tr, "rollback", x, author=rng.choice(AUTHORS))
        off = tr + rng.uniform(20.0, 40.0)
        err = rng.uniform(0.10, 0.30)
        self.effects[x].append(Effect(x, onset, 30.0, err=err, t1=off, ramp_down=30.0, msgs=DEPLOY_BUG_MSGS))
        self._fault(onset, off + 30.0, td, [x])
        self._expect("deploy", x, c["version"], [("service", x), ("rollback", x)])
        self._detail(service=x, version=c["version"], change_id=c["change_id"],
                     rollback_at=iso_s(tr), rollback_version=cr["version"],
                     rollback_change_id=cr["change_id"], error_rate=round(err, 3))

    def _kind_surge_breaks_update(self):
        rng = self.rng
        x = rng.choice(["search", "cart", "api"])
        td = self._t(0.5, 0.55)
        c = self.add_change(td, "deploy", x)
        shrink = rng.uniform(4.0, 5.0)   # new version has 1/shrink of the capacity
        self.cap[x].append((td, 1.0 / shrink, 20.0))
        s0 = td + rng.uniform(180.0, 600.0)
        end = self._set_surge(s0)
        self._fault(s0, end, td, [x])
        self._expect("deploy", x, c["version"], [("traffic_surge", ENTRY), ("service", x)])
        self._detail(service=x, version=c["version"], change_id=c["change_id"],
                     capacity_factor=round(1.0 / shrink, 3),
                     normal_rho=round(RHO0 * shrink, 3))

    def _kind_quiet(self):
        pass

    def _kind_canary(self):
        rng = self.rng
        x = rng.choice(["cart", "payments"])          # the services that log version and host
        td = self._t(0.5, 0.6)
        hosts = rng.choice([1, 2])                    # of 8: 12.5% or 25% of requests
        frac = hosts / 8.0
        c = self.add_change(td, "deploy", x, frac=frac)
        onset = td + rng.uniform(20.0, 90.0)
        err = rng.uniform(0.4, 0.8)
        self.effects[x].append(Effect(x, onset, 30.0, err=err, msgs=DEPLOY_BUG_MSGS, frac=frac))
        self._fault(onset, self.T1, td, [x])
        self._expect("deploy", x, c["version"], [("service", x)])
        self._detail(service=x, version=c["version"], change_id=c["change_id"], canary_fraction=frac,
                     canary_hosts=["%s-%d" % (x, i) for i in range(hosts)], canary_error_rate=round(err, 3))

    def _kind_slow_leak(self):
        rng = self.rng
        x = rng.choice(["cart", "search", "payments", "api"])
        td = self.T0 + rng.uniform(0.2, 0.25) * self.D
        c = self.add_change(td, "deploy", x)
        onset = min(td + rng.uniform(30.0, 45.0) * 60.0, self.T1 - 300.0)
        # deploys of other services between the leak's deploy and its effect,
        # the last one a few minutes before the onset
        others = [s for s in ["frontend", "api", "cart", "search", "payments", "admin"] if s != x]
        t_last = onset - rng.uniform(3.0, 8.0) * 60.0
        between = [td + rng.uniform(5.0, 12.0) * 60.0, td + rng.uniform(14.0, 22.0) * 60.0, t_last]
        for t in between:
            self.add_change(t, "deploy", rng.choice(others))
        err = rng.uniform(0.08, 0.2)
        self.effects[x].append(Effect(x, onset, 180.0, err=err, lat=rng.uniform(1.5, 3.0), msgs=LEAK_MSGS))
        self._fault(onset, self.T1, td, [x])
        self.forbid.append((td - 600.0, self.T1, None))   # only the changes placed here
        self._expect("deploy", x, c["version"], [("service", x)])
        self._detail(service=x, version=c["version"], change_id=c["change_id"], error_rate=round(err, 3),
                     effect_delay_s=round(onset - td))

    def _kind_flag_breaks_callee(self):
        rng = self.rng
        callee = rng.choice(["cart", "search", "payments"])
        tf = self._t(0.5, 0.6)
        c = self.add_change(tf, "flag", "api", author=rng.choice(AUTHORS))
        onset = tf + rng.uniform(5.0, 40.0)          # flags apply at once
        err = rng.uniform(0.15, 0.35)
        self.effects[callee].append(Effect(callee, onset, 15.0, err=err, msgs=FLAG_BREAK_MSGS))
        self._fault(onset, self.T1, tf, [callee, "api", ENTRY])
        self.forbid.append((self.T0, self.T1, set([callee])))   # no change of the callee itself
        self._expect("flag", "api", c["change_id"], [("service", callee)])
        self._detail(flag=c["change_id"], broken_service=callee, error_rate=round(err, 3))

    def _kind_overlapping(self):
        rng = self.rng
        x = rng.choice(["cart", "search", "payments"])
        td = self._t(0.5, 0.56)
        c = self.add_change(td, "deploy", x)
        onset = td + rng.uniform(20.0, 90.0)
        err = rng.uniform(0.15, 0.3)
        self.effects[x].append(Effect(x, onset, 30.0, err=err, msgs=DEPLOY_BUG_MSGS))
        # the second incident: admin, which shares nothing with x but postgres
        ta = td + rng.choice([-1, 1]) * rng.uniform(60.0, 240.0)
        ca = self.add_change(ta, "config", LOW_ENTRY, author=rng.choice(AUTHORS))
        onset_a = ta + rng.uniform(10.0, 40.0)
        err_a = rng.uniform(0.4, 0.7)
        self.effects[LOW_ENTRY].append(Effect(LOW_ENTRY, onset_a, 20.0, err=err_a, msgs=CONFIG_BUG_MSGS))
        self._fault(onset, self.T1, td, [x])
        self.forbid.append((min(td, ta) - 600.0, self.T1, None))
        self._expect("deploy", x, c["version"], [("service", x)])
        # further faults: scored like the first (tests/eval.py)
        self.truth["more_faults"] = [{
            "fault_start": iso_s(onset_a), "fault_end": iso_s(self.T1), "cause_at": iso_s(ta),
            "affected": [LOW_ENTRY],
            "expected_top": {"kind": "config", "service": LOW_ENTRY, "ref_contains": ca["change_id"]},
            "acceptable_top3": [{"kind": "config", "service": LOW_ENTRY}, {"kind": "service", "service": LOW_ENTRY}]}]
        self._detail(service=x, version=c["version"], change_id=c["change_id"], error_rate=round(err, 3),
                     second_service=LOW_ENTRY, second_change_id=ca["change_id"], second_error_rate=round(err_a, 3))

    def _kind_mid_graph_failure(self):
        rng = self.rng
        x = rng.choice(["cart", "search"])
        tb = self._t(0.5, 0.58)
        c = self.add_change(tb, "deploy", "api")
        onset = tb + rng.uniform(60.0, 180.0)
        dur = rng.uniform(8.0, 15.0) * 60.0
        err = rng.uniform(0.15, 0.35)
        msgs = ["internal error: index shard unavailable", "internal error: replica lagging, refusing reads"] \
            if x == "search" else ["internal error: session store unreachable", "internal error: lock wait timeout"]
        self.effects[x].append(Effect(x, onset, 20.0, err=err, lat=rng.uniform(1.0, 3.0), t1=onset + dur,
                                      ramp_down=60.0, msgs=msgs))
        self._fault(onset, onset + dur + 60.0, onset, [x, "api", ENTRY])
        self.forbid.append((self.T0, self.T1, set([x])))
        self.forbid.append((tb - 600.0, onset + dur + 60.0, set(["api"])))
        self._expect("service", x, None)
        self._detail(service=x, benign_deploy_service="api", benign_version=c["version"],
                     error_rate=round(err, 3), duration_s=round(dur))

    def _kind_surge_second_entry(self):
        rng = self.rng
        self.rho0["postgres"] = 0.3
        s0 = self._t(0.5, 0.6)
        # an admin surge large enough to take postgres's load 3.5-5x
        fe, ad = self.entry_rate * 0.4, self.admin_rate * 0.7
        k_pg = rng.uniform(3.5, 5.0)
        k = 1.0 + (k_pg - 1.0) * (fe + ad) / ad
        saved = self.surge
        end = self._set_surge(s0, k, k)
        self.asurge, self.surge = self.surge, saved
        self.truth["surge"]["entry"] = LOW_ENTRY
        self._fault(s0, end, s0, ["postgres", LOW_ENTRY, "cart", "payments"])
        self.forbid.append((self.T0, end, set(["postgres", LOW_ENTRY])))
        self._expect("traffic_surge", LOW_ENTRY, None, [("service", "postgres")])
        self._detail(entry=LOW_ENTRY, admin_factor=round(k, 1), postgres_load_factor=round(k_pg, 2))

    def _kind_benign_at_onset(self):
        rng = self.rng
        x = rng.choice(["cart", "search", "payments"])
        td = self._t(0.5, 0.6)
        c = self.add_change(td, "deploy", x)
        onset = td + rng.uniform(30.0, 90.0)
        err = rng.uniform(0.12, 0.25)
        self.effects[x].append(Effect(x, onset, 30.0, err=err, msgs=DEPLOY_BUG_MSGS))
        # the caller changes right at the onset, and an unrelated service too
        ca = self.add_change(onset + rng.uniform(-30.0, 20.0), rng.choice(["deploy", "config"]), "api")
        other = rng.choice([s for s in ["cart", "search", "payments", "admin"] if s != x])
        co = self.add_change(onset + rng.uniform(-50.0, 40.0), "config", other)
        self._fault(onset, self.T1, td, [x])
        self.forbid.append((td - 600.0, self.T1, None))
        self._expect("deploy", x, c["version"], [("service", x)])
        self._detail(service=x, version=c["version"], change_id=c["change_id"], error_rate=round(err, 3),
                     benign=[ca["change_id"], co["change_id"]])

    def _kind_vague_errors(self):
        rng = self.rng
        x = rng.choice(["cart", "search", "payments"])
        td = self._t(0.5, 0.6)
        c = self.add_change(td, "deploy", x)
        onset = td + rng.uniform(20.0, 90.0)
        err = rng.uniform(0.15, 0.3)
        self.effects[x].append(Effect(x, onset, 30.0, err=err, msgs=VAGUE_MSGS))
        share = rng.uniform(0.7, 0.9)
        for s in ("frontend", "api"):
            self.vague[s] = share
        self._fault(onset, self.T1, td, [x])
        self._expect("deploy", x, c["version"], [("service", x)])
        self._detail(service=x, version=c["version"], change_id=c["change_id"], error_rate=round(err, 3),
                     vague_share=round(share, 2))

    def _kind_small_fault(self):
        rng = self.rng
        x = rng.choice(["cart", "search", "payments", "api"])
        td = self._t(0.5, 0.6)
        c = self.add_change(td, "deploy", x)
        onset = td + rng.uniform(20.0, 90.0)
        err = rng.uniform(0.03, 0.06)
        self.effects[x].append(Effect(x, onset, 30.0, err=err, msgs=DEPLOY_BUG_MSGS))
        self._fault(onset, self.T1, td, [x])
        self._expect("deploy", x, c["version"], [("service", x)])
        self._detail(service=x, version=c["version"], change_id=c["change_id"], error_rate=round(err, 3))

    def _kind_quiet_ramp(self):
        rng = self.rng
        # early morning: low traffic, then a sharp ramp that stays (the
        # working day starts); capacity is ample (rho stays under 0.5)
        self.entry_rate = rng.uniform(0.6, 1.0) * self.scale
        s0 = self._t(0.45, 0.6)
        k = rng.uniform(2.5, 4.0)
        ramp = rng.uniform(120.0, 300.0)
        self.surge = (s0, ramp, self.D * 2, 60.0, k)
        self.truth["surge"] = {"start": iso_s(s0), "ramp_s": round(ramp, 1), "factor": round(k, 2),
                               "absorbed": True}

    def _kind_quiet_night(self):
        pass

    # -- simulation ----------------------------------------------------

    def simulate(self):
        rng = self.rng
        rnd = rng.random
        lognorm = rng.lognormvariate
        state = self.state
        recs = []     # (t_end, svc, status, lat_ms, msg, method, path, trace, upstream)
        out = recs.append

        def hop(n, t_start, trace):
            svc, method, path, children = n
            parts, latm, lat_all = state(svc, t_start, rnd_u(trace))
            own = MEDIAN_MS[svc] * latm * lognorm(0.0, self.sigma[svc])
            total = 0.0
            for p, _ in parts:
                total += p
            own_msg = None
            if rnd() < total:
                x = rnd() * total
                for p, msgs in parts:
                    x -= p
                    if x <= 0.0:
                        break
                own_msg = msgs[int(rnd() * len(msgs))]
                own *= 0.3 + 0.7 * rnd()
            t = t_start + own * 0.0004          # 40% of own work before calling out
            failed = called = None
            for prob, child in children:
                if prob < 1.0 and rnd() >= prob:
                    continue
                if own_msg is not None and rnd() < 0.5:
                    break
                d, cfail = hop(child, t, trace)
                if called is None:
                    called = child[0]
                to = TIMEOUT_MS[svc]
                if d > to:
                    d, cfail = to, "timeout"
                t += d / 1000.0
                if cfail and failed is None:
                    failed = (child[0], cfail)
            t_end = t + own * 0.0006
            if lat_all != 1.0:
                t_end += (t_end - t_start) * (lat_all - 1.0)
            dur = (t_end - t_start) * 1000.0
            if own_msg is not None:
                status = 500 if svc in ("postgres", "cache") else (503 if own_msg in SAT_MSGS else 500)
                msg = own_msg
                fail = status
            elif failed is not None and rnd() < PROPAGATE.get((svc, failed[0]), PROPAGATE_DEFAULT):
                callee, how = failed
                if how == "timeout":
                    status = 504
                    msg = "upstream %s timed out after %dms" % (callee, int(TIMEOUT_MS[svc]))
                elif callee == "postgres":
                    status = 503
                    msg = rng.choice(["connection refused to postgres:5432",
                                      "pq: query failed on postgres:5432: %s" % rng.choice(DB_FAIL_MSGS)])
                elif callee == "cache":
                    status = 503
                    msg = "upstream cache error: connection reset (cache:6379)"
                else:
                    status = 502 if rnd() < 0.5 else 503
                    msg = "upstream %s returned %d" % (callee, how)
                fail = status
                called = callee
                if svc in self.vague and rnd() < self.vague[svc]:
                    # a handler that swallows the cause: no callee named
                    msg = rng.choice(VAGUE_MSGS)
                    called = None
            else:
                fail = None
                status = 200 if method != "POST" else 201
                msg = None
                if svc in ("frontend", "cart", "admin") and rnd() < 0.012:
                    status = 404 if method == "GET" else 400
                elif svc == "api" and rnd() < 0.004:
                    status = 429
            out((t_end, svc, status, dur, msg, method, path, trace, called))
            return dur, fail

        # entry traffic
        routes = [r for _, r in ROUTES]
        cum, acc = [], 0.0
        for w, _ in ROUTES:
            acc += w
            cum.append(acc)
        acum, acc = [], 0.0
        for w, _ in ADMIN_ROUTES:
            acc += w
            acum.append(acc)
        aroutes = [r for _, r in ADMIN_ROUTES]
        n_req = 0
        for (rate_fn, rts, cm) in ((lambda t: self.entry_rate * self.load_at(t), routes, cum),
                                   (lambda t: self.admin_rate * self.drift_at(t) * self.surge_at(t, self.asurge),
                                    aroutes, acum)):
            t = self.T0
            tot = cm[-1]
            while True:
                t += rng.expovariate(rate_fn(t))
                if t >= self.T1:
                    break
                r = rts[bisect.bisect_left(cm, rnd() * tot)]
                hop(r, t, rng.getrandbits(64))
                n_req += 1
        self.n_requests = n_req
        return recs

    # -- rendering -------------------------------------------------------

    def render(self, outdir):
        rng = self.rng
        rnd = rng.random
        recs = self.simulate()
        files = ([], [])          # (write_time, bytes)
        level_of = lambda st: "error" if st >= 500 else ("warn" if st >= 400 else "info")
        per_svc = {s: 0 for s in SERVICES}
        T1 = self.T1
        esc_cache = {}

        def esc(m):
            e = esc_cache.get(m)
            if e is None:
                e = esc_cache[m] = json.dumps(m, ensure_ascii=False)[1:-1]
            return e

        for (te, svc, status, dur, msg, method, path, trace, called) in recs:
            if te >= T1:
                continue
            if msg is not None:
                msg = esc(msg)
            per_svc[svc] += 1
            ms = int(te * 1000.0)
            fmt = FORMAT[svc]
            lvl = level_of(status)
            tr = "%016x" % trace
            if fmt in ("simple", "simple_offset", "simple_timestamp", "epoch_ms"):
                m = msg if msg is not None else "%s %s %d" % (method, path, status)
                up = ',"upstream":"%s"' % called if called else ""
                if fmt == "simple":
                    line = '{"ts":"%s","service":"%s","level":"%s","status":%d,"latency_ms":%.1f,"msg":"%s"%s,"trace_id":"%s"}' % (
                        ts_z(ms), svc, lvl, status, dur, m, up, tr)
                elif fmt == "simple_offset":
                    line = '{"ts":"%s","service":"%s","level":"%s","status":%d,"latency_ms":%.1f,"msg":"%s","method":"%s","path":"%s"%s,"trace_id":"%s"}' % (
                        ts_plus2(ms), svc, lvl, status, dur, m, method, path, up, tr)
                elif fmt == "simple_timestamp":
                    line = '{"timestamp":"%s","service":"%s","level":"%s","status":%d,"latency_ms":%.1f,"msg":"%s"%s,"trace_id":"%s"}' % (
                        ts_z(ms), svc, lvl, status, dur, m, up, tr)
                else:
                    line = '{"ts":%d,"service":"%s","level":"%s","status":%d,"duration_ms":%.1f,"msg":"%s"%s,"trace_id":"%s"}' % (
                        ms, svc, lvl, status, dur, m, up, tr)
            elif fmt == "ecs_nested":
                m = msg if msg is not None else "%s %s %d" % (method, path, status)
                ver = self.version_at(svc, te, rnd_u(trace))
                tgt = ',"target":{"name":"%s"}' % called if called else ""
                line = ('{"@timestamp":"%s","service":{"name":"%s","version":"%s"%s},"log":{"level":"%s"},'
                        '"http":{"request":{"method":"%s"},"response":{"status_code":%d}},"url":{"path":"%s"},'
                        '"event":{"duration":%d},"trace":{"id":"%s"},"host":{"name":"%s"},"message":"%s"}') % (
                    ts_z(ms), svc, ver, tgt, lvl, method, status, path, int(dur * 1000.0) * 1000, tr,
                    host_of(svc, trace), m)
            elif fmt == "ecs_flat":
                m = msg if msg is not None else "%s %s %d" % (method, path, status)
                ver = self.version_at(svc, te, rnd_u(trace))
                tgt = ',"service.target.name":"%s"' % called if called else ""
                line = ('{"@timestamp":"%s","service.name":"%s","service.version":"%s"%s,"log.level":"%s",'
                        '"http.request.method":"%s","http.response.status_code":%d,"url.path":"%s",'
                        '"event.duration":%d,"trace.id":"%s","host.name":"%s","message":"%s"}') % (
                    ts_z(ms), svc, ver, tgt, lvl, method, status, path, int(dur * 1000.0) * 1000, tr,
                    host_of(svc, trace), m)
            elif fmt == "db":
                if status >= 500:
                    line = '{"ts":"%s","service":"postgres","level":"error","latency_ms":%.2f,"msg":"%s","db":"shop"}' % (
                        ts_z(ms), dur, msg)
                else:
                    line = '{"ts":"%s","service":"postgres","level":"info","latency_ms":%.2f,"msg":"statement: %s","db":"shop"}' % (
                        ts_z(ms), dur, path)
            else:  # kv (cache)
                if status >= 500:
                    line = '{"time":"%s","service":"cache","level":"error","latency_ms":%.2f,"message":"%s"}' % (
                        ts_z(ms), dur, msg)
                else:
                    line = '{"time":"%s","service":"cache","level":"info","latency_ms":%.2f,"message":"GET %s %s"}' % (
                        ts_z(ms), dur, path, "hit" if (trace & 7) else "miss")
            fi = 0 if svc in FILE_A_SERVICES else 1
            files[fi].append((te + 2.0 * rnd(), line))

        # lines the services log about changes (startup / config reload)
        for c in self.changes:
            svc = c["service"]
            fi = 0 if svc in FILE_A_SERVICES else 1
            if c["kind"] in ("deploy", "rollback"):
                for _ in range(3):
                    t = c["t"] + rng.uniform(0.0, 20.0)
                    inst = "%s-%05x" % (svc, rng.getrandbits(20))
                    files[fi].append((t + rng.uniform(0.0, 2.0),
                                      self._info_line(svc, t, "starting %s %s on instance %s" % (svc, c["version"], inst))))
            elif c["kind"] == "config":
                for _ in range(3):
                    t = c["t"] + rng.uniform(0.0, 5.0)
                    files[fi].append((t + rng.uniform(0.0, 2.0),
                                      self._info_line(svc, t, "configuration reloaded (%s)" % c["change_id"])))

        out_bytes = []
        malformed = {"truncated": 0, "garbage": 0, "invalid_utf8": 0}
        n_lines = []
        for fi in (0, 1):
            lst = files[fi]
            lst.sort(key=lambda x: x[0])
            lines = [l.encode("utf-8") for _, l in lst]
            # ~0.1% malformed lines, inserted (not replacing good ones)
            n_bad = max(3, int(round(len(lines) * 0.001)))
            inserts = []
            for j in range(n_bad):
                pos = rng.randrange(len(lines))
                which = ("truncated", "garbage", "invalid_utf8")[j % 3] if j < 3 else \
                    rng.choice(("truncated", "truncated", "garbage", "invalid_utf8"))
                src = lines[pos]
                if which == "truncated":
                    b = src[:rng.randint(10, max(11, len(src) - 10))]
                elif which == "garbage":
                    b = bytes([0x00, 0x00, 0x1f, 0x8b, 0x08]) + bytes(
                        rng.choice(b"\x01\x02\x03\x7f\x80\x9c\xe2\xfe\xffabcdef{}[]:,") for _ in range(rng.randint(8, 40)))
                else:
                    k = src.rfind(b'"}')
                    b = src[:k] + b" \xff\xfe\xc3\x28 \xed\xa0\x80" + src[k:] if k > 0 else src + b"\xff"
                malformed[which] += 1
                inserts.append((pos, j, b))
            inserts.sort()
            res, prev = [], 0
            for pos, _, b in inserts:
                res.extend(lines[prev:pos])
                res.append(b)
                prev = pos
            res.extend(lines[prev:])
            n_lines.append(len(res))
            out_bytes.append(b"\n".join(res) + b"\n")

        os.makedirs(outdir, exist_ok=True)
        for fi, name in ((0, "logs-a.jsonl"), (1, "logs-b.jsonl")):
            with open(os.path.join(outdir, name), "wb") as f:
                f.write(out_bytes[fi])
        with open(os.path.join(outdir, "deploys.jsonl"), "w", encoding="utf-8", newline="\n") as f:
            for c in self.changes:
                d = {"ts": iso_s(c["t"]), "kind": c["kind"], "service": c["service"]}
                if "version" in c:
                    d["version"] = c["version"]
                d["change_id"] = c["change_id"]
                d["author"] = c["author"]
                f.write(json.dumps(d, separators=(",", ":")) + "\n")
        t = self.truth
        t["lines"] = {"logs-a.jsonl": n_lines[0], "logs-b.jsonl": n_lines[1]}
        t["malformed_lines"] = sum(malformed.values())
        t["malformed"] = malformed
        t["requests"] = self.n_requests
        t["lines_per_service"] = per_svc
        t["changes"] = len(self.changes)
        t["entry_rate"] = round(self.entry_rate, 3)
        t["admin_rate"] = round(self.admin_rate, 3)
        t["description"] = dict(KINDS)[self.kind]
        with open(os.path.join(outdir, "truth.json"), "w", encoding="utf-8", newline="\n") as f:
            json.dump(t, f, indent=2, sort_keys=False)
            f.write("\n")
        return t

    def _info_line(self, svc, t, text):
        ms = int(t * 1000.0)
        fmt = FORMAT[svc]
        if fmt == "simple":
            return '{"ts":"%s","service":"%s","level":"info","msg":"%s"}' % (ts_z(ms), svc, text)
        if fmt == "simple_offset":
            return '{"ts":"%s","service":"%s","level":"info","msg":"%s"}' % (ts_plus2(ms), svc, text)
        if fmt == "simple_timestamp":
            return '{"timestamp":"%s","service":"%s","level":"info","msg":"%s"}' % (ts_z(ms), svc, text)
        if fmt == "epoch_ms":
            return '{"ts":%d,"service":"%s","level":"info","msg":"%s"}' % (ms, svc, text)
        if fmt == "ecs_nested":
            return '{"@timestamp":"%s","service":{"name":"%s"},"log":{"level":"info"},"message":"%s"}' % (ts_z(ms), svc, text)
        if fmt == "ecs_flat":
            return '{"@timestamp":"%s","service.name":"%s","log.level":"info","message":"%s"}' % (ts_z(ms), svc, text)
        if fmt == "db":
            return '{"ts":"%s","service":"%s","level":"info","msg":"LOG: %s","db":"shop"}' % (ts_z(ms), svc, text)
        return '{"time":"%s","service":"%s","level":"info","message":"%s"}' % (ts_z(ms), svc, text)


def host_of(svc, trace):
    """The host that served a request: 8 hosts per service; the host order
    follows rnd_u, so a canary (u < frac) lands on the first hosts."""
    return "%s-%d" % (svc, int(rnd_u(trace) * 8))


def rnd_u(trace):
    """A per-request uniform in [0,1) derived from the trace id (no RNG draw)."""
    return ((trace >> 8) & 0xffff) / 65536.0


def main(argv=None):
    ap = argparse.ArgumentParser(description="Generate a deterministic outage scenario for faultline.")
    ap.add_argument("--kind", choices=KIND_NAMES)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out")
    ap.add_argument("--start", default=None,
                    help="RFC 3339 start (default 2026-07-24T09:00:00Z; 01:00:00Z for quiet_night)")
    ap.add_argument("--minutes", type=float, default=70.0)
    ap.add_argument("--scale", type=float, default=1.0, help="multiplies request rates")
    ap.add_argument("--list", action="store_true", help="print the scenario kinds and exit")
    ap.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    a = ap.parse_args(argv)
    if a.list:
        for k, d in KINDS:
            print("%-22s %s" % (k, d))
        return 0
    if not a.kind or not a.out:
        ap.error("--kind and --out are required (or --list)")
    if a.minutes < 30:
        ap.error("--minutes must be at least 30 (the detector needs a warm-up before the fault)")
    if a.scale <= 0:
        ap.error("--scale must be > 0")
    start = a.start or ("2026-07-24T01:00:00Z" if a.kind == "quiet_night" else "2026-07-24T09:00:00Z")
    try:
        t0 = parse_rfc3339(start)
    except (ValueError, IndexError):
        ap.error("bad --start %r (want RFC 3339, e.g. 2026-07-24T09:00:00Z)" % start)
    w0 = time.time()
    sc = Scenario(a.kind, a.seed, t0, a.minutes, a.scale)
    truth = sc.render(a.out)
    if not a.quiet:
        print("%s seed=%d: %d requests, %d+%d lines, %d changes, fault %s .. %s, expected %s (%.2fs)" % (
            a.kind, a.seed, truth["requests"], truth["lines"]["logs-a.jsonl"], truth["lines"]["logs-b.jsonl"],
            truth["changes"], truth["fault_start"], truth["fault_end"],
            json.dumps(truth["expected_top"]), time.time() - w0), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
