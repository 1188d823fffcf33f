#!/usr/bin/env python3
"""gen.py - a labelled sample for template grouping accuracy.

Writes, next to this script, one raw log per system (api.log, db.log,
orders.log, k8s.log, edge.log: messages in the style of Go HTTP services,
PostgreSQL, JVM/Spring services, Kubernetes events, nginx and connection
errors) and for each a .truth file: one line per log line, the id of the
template that produced it (the ground truth). Variables are drawn from
pools with and without digits (user names, hosts, pods, class names, IPs,
ports, UUIDs, durations, sizes). Deterministic: a fixed seed, so the
committed files are exactly what this script writes.

    python3 tests/samples/templates/gen.py
"""
import os
import random

R = random.Random(20261122)

USERS = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi",
         "ivan", "judy", "mallory", "niaj", "olivia", "peggy", "rupert",
         "sybil", "trent", "victor", "walter", "svc_backup", "reporting"]
HOSTS = ["cart", "inventory", "payments", "search", "auth", "catalog",
         "db-primary", "db-replica-2", "redis-7", "kafka-broker-3",
         "ip-10-0-3-17.ec2.internal", "cache.internal", "api.example.com",
         "checkout-svc", "ledger"]
TABLES = ["orders", "order_items", "customers", "payments", "inventory",
          "sessions", "audit_log", "shipments"]
DBS = ["shop", "billing", "analytics", "auth"]
NS = ["default", "prod", "staging", "kube-system", "payments"]
NODES = ["node-a1", "node-b7", "gke-prod-pool-1-3f9c", "worker-12",
         "ip-10-1-2-3"]
CONTAINERS = ["cart", "nginx", "istio-proxy", "payments-api", "worker",
              "init-db", "fluent-bit", "redis"]
IMAGES = ["nginx:1.25.3", "registry.example.com/cart:v2.3.1",
          "redis:7.2-alpine", "gcr.io/proj/payments:sha-3f9a1c2",
          "fluent/fluent-bit:2.2"]
THREADS = ["main", "http-nio-8080-exec-3", "kafka-consumer-1",
           "scheduling-1", "ForkJoinPool.commonPool-worker-5"]
CLASSES = ["Order", "Customer", "PaymentMethod", "Address", "CartItem"]
EXCS = ["java.net.SocketTimeoutException", "java.io.IOException",
        "org.apache.kafka.common.errors.SerializationException",
        "java.lang.IllegalStateException"]
METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH"]
PATHS = ["/api/v1/users/{n}", "/api/v1/orders/{n}", "/cart/{n}/items",
         "/healthz", "/api/v2/search", "/checkout", "/static/app.{h}.js"]
STATES = ["open", "half-open", "closed"]
POOLS = ["io-pool", "cpu-pool", "async-exec", "db-writer"]


def ip():
    return "%d.%d.%d.%d" % (R.choice([10, 172, 192, 100]), R.randint(0, 255),
                            R.randint(0, 255), R.randint(1, 254))


def ip6():
    return "2001:db8:%x:%x::%x" % (R.randint(0, 0xffff), R.randint(0, 0xffff),
                                   R.randint(1, 0xfff))


def port():
    return str(R.choice([80, 443, 5432, 6379, 8080, 9092, 3306,
                         R.randint(1024, 65535)]))


def dur():
    u = R.choice(["ms", "ms", "s", "us", "m"])
    if u == "ms":
        return "%d%s" % (R.randint(1, 5000), u)
    if u == "s":
        return "%.*fs" % (R.choice([0, 1, 3]), R.uniform(0.1, 90))
    if u == "us":
        return "%dus" % R.randint(10, 999)
    return "%dm%ds" % (R.randint(1, 9), R.randint(0, 59))


def uuid():
    h = "%032x" % R.getrandbits(128)
    return "%s-%s-%s-%s-%s" % (h[:8], h[8:12], h[12:16], h[16:20], h[20:])


def hexs(n):
    return "%0*x" % (n, R.getrandbits(4 * n))


def path():
    p = R.choice(PATHS)
    return p.replace("{n}", str(R.randint(1, 99999))).replace("{h}", hexs(8))


def pod(c=None):
    return "%s-%s-%s" % (c or R.choice(CONTAINERS), hexs(10)[:9],
                         "".join(R.choice("bcdfghjklmnpqrstvwxz2456789")
                                 for _ in range(5)))


def n(a=0, b=100000):
    return str(R.randint(a, b))


def f(a=0, b=100, d=3):
    return "%.*f" % (d, R.uniform(a, b))


# (system, weight, template maker); a maker returns one message
T = {
    "api": [
        (3, lambda: "http: TLS handshake error from %s:%s: EOF" % (ip(), port())),
        (9, lambda: "%s %s %s %s" % (R.choice(METHODS), path(),
                                      R.choice(["200", "201", "204", "404", "500", "503"]), dur())),
        (6, lambda: "request %s completed in %s" % (uuid(), dur())),
        (4, lambda: "upstream %s returned %s for %s" % (R.choice(HOSTS), R.choice(["500", "502", "503", "504"]), path())),
        (3, lambda: "retrying request to %s (attempt %d/%d)" % (R.choice(HOSTS), R.randint(1, 4), 5)),
        (2, lambda: "rate limit exceeded for client %s" % ip()),
        (1, lambda: "panic: runtime error: index out of range [%s] with length %s" % (n(0, 64), n(0, 64))),
        (3, lambda: "context deadline exceeded while calling %s.%s" % (R.choice(["inventory", "payments", "search"]), R.choice(["GetStock", "Reserve", "Charge", "Query"]))),
        (3, lambda: "session %s expired for user %s" % (hexs(16), R.choice(USERS))),
        (1, lambda: "served %s requests in the last %s" % (n(100, 90000), R.choice(["1m0s", "5m0s", "60s"]))),
    ],
    "db": [
        (5, lambda: "connection received: host=%s port=%s" % (ip(), n(1024, 65535))),
        (5, lambda: "connection authorized: user=%s database=%s" % (R.choice(USERS), R.choice(DBS))),
        (6, lambda: "duration: %s ms  statement: SELECT * FROM %s WHERE id = %s" % (f(0, 3000), R.choice(TABLES), n())),
        (1, lambda: "checkpoint complete: wrote %s buffers (%s%%); %s WAL file(s) added, %s removed, %s recycled; write=%s s, sync=%s s, total=%s s" % (n(1, 9000), f(0, 60, 1), n(0, 3), n(0, 9), n(0, 9), f(0, 30), f(0, 2), f(0, 32))),
        (2, lambda: "could not serialize access due to concurrent update"),
        (1, lambda: "deadlock detected: process %s waits for ShareLock on transaction %s; blocked by process %s" % (n(100, 99999), n(10 ** 6, 10 ** 8), n(100, 99999))),
        (2, lambda: "automatic vacuum of table \"%s.public.%s\": index scans: %s" % (R.choice(DBS), R.choice(TABLES), n(0, 9))),
        (2, lambda: "FATAL: password authentication failed for user \"%s\"" % R.choice(USERS)),
        (3, lambda: "Slow query: %ss on table %s" % (f(1, 60, 2), R.choice(TABLES))),
        (2, lambda: "replication lag is %s bytes on replica %s" % (n(0, 10 ** 9), R.choice(["db-replica-1", "db-replica-2", "standby"]))),
    ],
    "orders": [
        (1, lambda: "Started OrderServiceApplication in %s seconds (JVM running for %s)" % (f(2, 40), f(3, 45))),
        (3, lambda: "HikariPool-1 - Connection is not available, request timed out after %sms." % n(1000, 30000)),
        (2, lambda: "Exception in thread \"%s\" java.lang.NullPointerException: Cannot invoke \"%s.getId()\" because \"%s\" is null" % (R.choice(THREADS), R.choice(CLASSES), R.choice(["order", "customer", "item", "this.cart"]))),
        (3, lambda: "GC pause (G1 Evacuation Pause) (young) %sM->%sM(%sM) %sms" % (n(100, 4000), n(50, 2000), R.choice(["4096", "8192"]), f(1, 300))),
        (7, lambda: "Order %s placed by customer %s total %s EUR" % (n(10 ** 5, 10 ** 7), R.choice(USERS), f(1, 900, 2))),
        (2, lambda: "Kafka consumer group %s rebalanced, assigned partitions [%s-%s, %s-%s]" % (R.choice(["orders-cg", "billing-cg"]), "orders", n(0, 11), "orders", n(0, 11))),
        (3, lambda: "Failed to process message offset=%s partition=%s: %s" % (n(), n(0, 11), R.choice(EXCS))),
        (1, lambda: "Thread pool %s queue full, rejecting task" % R.choice(POOLS)),
        (5, lambda: "Cache miss for key product:%s" % n()),
        (4, lambda: "Payment %s authorised in %s" % (uuid(), dur())),
    ],
    "k8s": [
        (3, lambda: "Successfully assigned %s/%s to %s" % (R.choice(NS), pod(), R.choice(NODES))),
        (3, lambda: "Pulling image \"%s\"" % R.choice(IMAGES)),
        (3, lambda: "Successfully pulled image \"%s\" in %s" % (R.choice(IMAGES), dur())),
        (4, lambda: "Created container %s" % R.choice(CONTAINERS)),
        (4, lambda: "Started container %s" % R.choice(CONTAINERS)),
        (3, lambda: (lambda c: "Back-off restarting failed container %s in pod %s_%s(%s)" % (c, pod(c), R.choice(NS), uuid()))(R.choice(CONTAINERS))),
        (3, lambda: "Liveness probe failed: Get \"http://%s:%s/healthz\": context deadline exceeded" % (ip(), port())),
        (3, lambda: "Readiness probe failed: HTTP probe failed with statuscode: %s" % R.choice(["500", "503", "404"])),
        (2, lambda: "Scaled up replica set %s-%s to %s" % (R.choice(CONTAINERS), hexs(10)[:9], n(1, 30))),
        (1, lambda: "Node %s status is now: NodeNotReady" % R.choice(NODES)),
        (1, lambda: "0/%s nodes are available: %s Insufficient cpu." % (n(3, 50), n(1, 50))),
        (2, lambda: "Killing container with id containerd://%s" % hexs(64)),
    ],
    "edge": [
        (5, lambda: "dial tcp %s:%s: connect: connection refused" % (ip(), port())),
        (4, lambda: "read tcp %s:%s->%s:%s: read: connection reset by peer" % (ip(), n(1024, 65535), ip(), port())),
        (3, lambda: "upstream timed out (110: Connection timed out) while reading response header from upstream, client: %s, server: %s, request: \"GET %s HTTP/1.1\"" % (ip(), R.choice(HOSTS), path())),
        (2, lambda: "no live upstreams while connecting to upstream %s" % R.choice(["backend", "cart_pool", "api_v2"])),
        (1, lambda: "TLS certificate for %s expires in %s days" % (R.choice(HOSTS), n(1, 90))),
        (2, lambda: "DNS lookup for %s failed: no such host" % R.choice(HOSTS)),
        (3, lambda: "health check of %s:%s failed after %s" % (ip(), port(), dur())),
        (2, lambda: "circuit breaker for %s is now %s" % (R.choice(HOSTS), R.choice(STATES))),
        (2, lambda: "closed idle connection to [%s]:%s" % (ip6(), port())),
    ],
}

LINES = {"api": 700, "db": 600, "orders": 600, "k8s": 600, "edge": 500}


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    tid = 0
    for system, tpls in T.items():
        ids = list(range(tid, tid + len(tpls)))
        tid += len(tpls)
        weights = [w for w, _ in tpls]
        logs, truth = [], []
        # every template at least 5 times, the rest by weight
        picks = [i for i in range(len(tpls)) for _ in range(5)]
        picks += R.choices(range(len(tpls)), weights=weights,
                           k=LINES[system] - len(picks))
        R.shuffle(picks)
        for i in picks:
            logs.append(tpls[i][1]())
            truth.append("T%02d" % ids[i])
        with open(os.path.join(here, system + ".log"), "w") as out:
            out.write("\n".join(logs) + "\n")
        with open(os.path.join(here, system + ".truth"), "w") as out:
            out.write("\n".join(truth) + "\n")
    print("%d templates, %d lines" % (tid, sum(LINES.values())))


if __name__ == "__main__":
    main()
