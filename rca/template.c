/*
 * template.c - the streaming template miner of fl_template.h.
 *
 * Layout: templates ("clusters") live in one array with a free list; each
 * is on its leaf's list, on its service's LRU list and on the global LRU
 * list (doubly linked by index, most recently matched first), so matching,
 * creating and evicting are O(leaf size) with no scan of all templates.
 * Leaves are the tree's last level; the two levels above them (token
 * count, leading tokens) are folded into the leaf's key, looked up in a
 * chained hash table. A leaf is freed with its last template, so nothing
 * outlives the caps.
 */
#define _POSIX_C_SOURCE 200809L
#define PCRE2_CODE_UNIT_WIDTH 8
#include "fl_template.h"

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The masks, one alternation so each message is scanned once. A mask never
 * starts inside a word or right after a '.', and never ends inside a word,
 * so "v2", "abc123" and "http2" stay literal while "id=42", "port 8080",
 * "10.0.0.7:5432" (-> <*>:<*>), "took 12.5ms", "0x7f3a", "3f2a9c1e77d0"
 * and UUIDs are masked. Versions like 2.3.1 are one mask (a number would
 * stop at the second dot). */
static const char MASK_RE[] =
    "(?<![\\w.])(?:"
    /* UUID */
    "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
    "[0-9a-fA-F]{12}"
    /* RFC 3339 / ISO 8601 timestamp */
    "|\\d{4}-\\d{2}-\\d{2}[T ]\\d{2}:\\d{2}(?::\\d{2}(?:[.,]\\d+)?)?"
    "(?:Z|[+-]\\d{2}:?\\d{2})?"
    /* IPv6 (at least two colons and a digit; also catches hh:mm:ss) */
    "|(?=[0-9a-fA-F:]*\\d)(?=[0-9a-fA-F]*:[0-9a-fA-F]*:)"
    "(?:[0-9a-fA-F]{1,4}|:)(?::[0-9a-fA-F]{0,4}){2,7}"
    /* IPv4 (a port after it is a number of its own) */
    "|(?:\\d{1,3}\\.){3}\\d{1,3}"
    /* 0x-hex, and hex ids of 8+ digits holding a decimal digit */
    "|0[xX][0-9a-fA-F]+"
    "|(?=[0-9a-fA-F]*\\d)(?=\\d*[a-fA-F])[0-9a-fA-F]{8,}"
    /* dotted versions, then numbers with a duration or size unit */
    "|\\d+(?:\\.\\d+){2,}"
    /* Go-style compound durations (1m30.5s, 2h0m0s) */
    "|(?:\\d+(?:\\.\\d+)?(?:h|m|s|ms|us|\xc2\xb5s|ns)){2,}"
    "|[-+]?\\d+(?:[.,]\\d+)?(?:ns|us|\xc2\xb5s|ms|s|m|h|min|[kKMGT]i?B|B|%)?"
    /* quoted strings (short ones; the quote must not follow a word) */
    "|\"[^\"\\n]{0,256}\""
    "|'[^'\\n]{0,256}'"
    ")(?![\\w])";

typedef struct {
    int32_t head, tail;
    uint32_t n;
} lru;

typedef struct {
    int32_t svc;
    uint32_t ntok;
    char *text;     /* tokens, each NUL-terminated, one after the other */
    uint32_t *off;  /* where each token starts in text */
    uint8_t *wild;  /* 1: the token is <*> */
    uint64_t count, id;
    int32_t leaf, next; /* next on the leaf's list; free list when dead */
    int32_t sprev, snext, gprev, gnext;
    bool live;
} cluster;

typedef struct {
    uint64_t hash;
    int32_t svc;
    uint32_t ntok;
    char *key[2]; /* leading tokens; NULL: the wildcard (or absent) */
    int32_t first; /* first template */
    int32_t next;  /* bucket chain, or free list */
} leaf;

struct fl_tpl_miner {
    fl_tpl_conf conf;
    fl_tpl_stats st;
    fl_intern *svcs;
    lru *slru;
    lru glru;
    cluster *cl;
    uint32_t ncl, capcl, live;
    int32_t cfree;
    leaf *lf;
    uint32_t nlf, caplf;
    int32_t lfree;
    int32_t *bucket;
    uint32_t nbucket;
    pcre2_code *re;
    pcre2_match_data *md;
    pcre2_match_context *mctx;
    pcre2_jit_stack *js;
    fl_buf masked, scratch;
    /* the current message's tokens (into masked) */
    const char **tp;
    uint32_t *tl;
    uint8_t *tw;
    uint32_t nt;
};

void fl_tpl_conf_default(fl_tpl_conf *c)
{
    c->max_per_service = 1000;
    c->max_total = 10000;
    c->max_services = 4096;
    c->max_tokens = 64;
    c->max_msg = 2048;
    c->sim = 0.4;
    c->prefix_tokens = 1;
}

fl_tpl_miner *fl_tpl_new(const fl_tpl_conf *conf)
{
    fl_tpl_miner *m = fl_calloc(1, sizeof *m);
    if (conf)
        m->conf = *conf;
    else
        fl_tpl_conf_default(&m->conf);
    fl_tpl_conf *c = &m->conf;
    c->max_total = FL_MAX(c->max_total, 1u);
    c->max_per_service = FL_MIN(FL_MAX(c->max_per_service, 1u), c->max_total);
    c->max_services = FL_MAX(c->max_services, 1u);
    c->max_tokens = FL_MIN(FL_MAX(c->max_tokens, 2u), 4096u);
    c->max_msg = FL_MIN(FL_MAX(c->max_msg, 16u), 1u << 20);
    c->prefix_tokens = FL_MIN(c->prefix_tokens, 2u);
    if (!(c->sim > 0 && c->sim <= 1))
        c->sim = 0.4;
    m->svcs = fl_intern_new(c->max_services);
    m->slru = fl_calloc(c->max_services, sizeof *m->slru);
    for (uint32_t i = 0; i < c->max_services; i++)
        m->slru[i].head = m->slru[i].tail = -1;
    m->glru.head = m->glru.tail = -1;
    m->cfree = m->lfree = -1;
    m->nbucket = 64;
    while (m->nbucket < c->max_total)
        m->nbucket <<= 1;
    m->bucket = fl_malloc(m->nbucket * sizeof *m->bucket);
    for (uint32_t i = 0; i < m->nbucket; i++)
        m->bucket[i] = -1;
    m->tp = fl_calloc(c->max_tokens, sizeof *m->tp);
    m->tl = fl_calloc(c->max_tokens, sizeof *m->tl);
    m->tw = fl_calloc(c->max_tokens, sizeof *m->tw);

    int ec;
    PCRE2_SIZE eo;
    m->re = pcre2_compile((PCRE2_SPTR)MASK_RE, PCRE2_ZERO_TERMINATED, 0, &ec,
                          &eo, NULL);
    if (!m->re) {
        fprintf(stderr, "faultline: template masks do not compile (%d at %zu)\n",
                ec, (size_t)eo);
        abort();
    }
    bool jit = pcre2_jit_compile(m->re, PCRE2_JIT_COMPLETE) == 0;
    m->md = pcre2_match_data_create_from_pattern(m->re, NULL);
    m->mctx = pcre2_match_context_create(NULL);
    if (!m->md || !m->mctx) {
        fprintf(stderr, "faultline: out of memory (pcre2)\n");
        abort();
    }
    pcre2_set_match_limit(m->mctx, 100000);
    pcre2_set_depth_limit(m->mctx, 1000);
    if (jit) {
        m->js = pcre2_jit_stack_create(32 * 1024, 512 * 1024, NULL);
        if (m->js)
            pcre2_jit_stack_assign(m->mctx, NULL, m->js);
    }
    return m;
}

static void cluster_free_mem(cluster *c)
{
    free(c->text);
    free(c->off);
    free(c->wild);
    c->text = NULL;
    c->off = NULL;
    c->wild = NULL;
}

void fl_tpl_destroy(fl_tpl_miner *m)
{
    if (!m)
        return;
    for (uint32_t i = 0; i < m->ncl; i++)
        cluster_free_mem(&m->cl[i]);
    for (uint32_t i = 0; i < m->nlf; i++) {
        free(m->lf[i].key[0]);
        free(m->lf[i].key[1]);
    }
    free(m->cl);
    free(m->lf);
    free(m->bucket);
    free(m->slru);
    free(m->tp);
    free(m->tl);
    free(m->tw);
    fl_intern_destroy(m->svcs);
    fl_buf_free(&m->masked);
    fl_buf_free(&m->scratch);
    pcre2_match_data_free(m->md);
    pcre2_match_context_free(m->mctx);
    pcre2_jit_stack_free(m->js);
    pcre2_code_free(m->re);
    free(m);
}

/* ------------------------------------------------------- mask, tokenise */

static bool is_space(char ch)
{
    /* NUL too: a template's tokens are C strings */
    return ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r' || ch == '\v' ||
           ch == '\f' || ch == '\0';
}

static void mask(fl_tpl_miner *m, const char *p, size_t n, fl_buf *out)
{
    out->n = 0;
    fl_buf_put(out, "", 0);
    size_t off = 0;
    while (off < n) {
        int rc = pcre2_match(m->re, (PCRE2_SPTR)p, n, off, 0, m->md, m->mctx);
        if (rc < 0) /* no more masks, or a limit: the rest is literal */
            break;
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(m->md);
        size_t s = ov[0], e = ov[1];
        if (s < off || e > n || e < s)
            break;
        fl_buf_put(out, p + off, s - off);
        if (e == s) { /* cannot happen with this pattern; never loop */
            if (s < n)
                fl_buf_put(out, p + s, 1);
            off = s + 1;
            continue;
        }
        fl_buf_puts(out, "<*>");
        off = e;
    }
    if (off < n)
        fl_buf_put(out, p + off, n - off);
}

/* Masks and tokenises msg into m->tp/tl/tw/nt (in place in m->masked). */
static void prepare(fl_tpl_miner *m, fl_str msg)
{
    size_t n = msg.n;
    bool trunc = false;
    if (n > m->conf.max_msg) {
        n = m->conf.max_msg;
        while (n > 0 && ((unsigned char)msg.p[n] & 0xC0) == 0x80)
            n--; /* not inside a UTF-8 sequence */
        trunc = true;
    }
    mask(m, msg.p, n, &m->masked);
    char *s = m->masked.p ? m->masked.p : (char *)"";
    size_t len = m->masked.n, i = 0;
    m->nt = 0;
    while (i < len) {
        while (i < len && is_space(s[i]))
            i++;
        if (i == len)
            break;
        size_t b = i;
        while (i < len && !is_space(s[i]))
            i++;
        if (m->nt == m->conf.max_tokens - 1) { /* the rest: one <*> */
            size_t j = i;
            while (j < len && is_space(s[j]))
                j++;
            if (j < len) {
                m->tp[m->nt] = "<*>";
                m->tl[m->nt] = 3;
                m->tw[m->nt] = 1;
                m->nt++;
                trunc = true;
                break;
            }
        }
        s[i < len ? i : len] = '\0'; /* the buffer keeps a NUL past n */
        m->tp[m->nt] = s + b;
        m->tl[m->nt] = (uint32_t)(i - b);
        m->tw[m->nt] = (i - b == 3 && memcmp(s + b, "<*>", 3) == 0);
        m->nt++;
        i++;
    }
    if (trunc)
        m->st.truncated++;
}

/* a leading token that varies goes to the wildcard branch (Drain's
 * "tokens with digits" rule) */
static bool key_wild(const char *t, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if ((t[i] >= '0' && t[i] <= '9') || t[i] == '<')
            return true;
    return false;
}

static uint64_t leaf_hash(int32_t svc, uint32_t ntok, const char *k0,
                          uint32_t n0, const char *k1, uint32_t n1)
{
    uint64_t h = fl_hash64(&svc, sizeof svc, 0x7e3a);
    h = fl_hash64(&ntok, sizeof ntok, h);
    h = k0 ? fl_hash64(k0, n0, h) : fl_hash64("\1", 1, h);
    h = k1 ? fl_hash64(k1, n1, h) : fl_hash64("\2", 1, h);
    return h;
}

typedef struct {
    uint64_t hash;
    const char *k[2];
    uint32_t kn[2];
} leaf_key;

static void make_key(const fl_tpl_miner *m, int32_t svc, leaf_key *k)
{
    for (int i = 0; i < 2; i++) {
        k->k[i] = NULL;
        k->kn[i] = 0;
        if ((uint32_t)i < m->conf.prefix_tokens && (uint32_t)i < m->nt &&
            !key_wild(m->tp[i], m->tl[i])) {
            k->k[i] = m->tp[i];
            k->kn[i] = m->tl[i];
        }
    }
    k->hash = leaf_hash(svc, m->nt, k->k[0], k->kn[0], k->k[1], k->kn[1]);
}

static bool key_eq(const char *stored, const char *k, uint32_t kn)
{
    if (!stored || !k)
        return !stored && !k;
    return strlen(stored) == kn && memcmp(stored, k, kn) == 0;
}

static int32_t leaf_find(const fl_tpl_miner *m, int32_t svc, const leaf_key *k)
{
    for (int32_t i = m->bucket[k->hash & (m->nbucket - 1)]; i >= 0;
         i = m->lf[i].next) {
        const leaf *l = &m->lf[i];
        if (l->hash == k->hash && l->svc == svc && l->ntok == m->nt &&
            key_eq(l->key[0], k->k[0], k->kn[0]) &&
            key_eq(l->key[1], k->k[1], k->kn[1]))
            return i;
    }
    return -1;
}

static int32_t leaf_new(fl_tpl_miner *m, int32_t svc, const leaf_key *k)
{
    int32_t i;
    if (m->lfree >= 0) {
        i = m->lfree;
        m->lfree = m->lf[i].next;
    } else {
        if (m->nlf == m->caplf) {
            m->caplf = m->caplf ? 2 * m->caplf : 64;
            m->lf = fl_realloc(m->lf, m->caplf * sizeof *m->lf);
        }
        i = (int32_t)m->nlf++;
    }
    leaf *l = &m->lf[i];
    l->hash = k->hash;
    l->svc = svc;
    l->ntok = m->nt;
    for (int j = 0; j < 2; j++)
        l->key[j] = k->k[j] ? fl_strndup(k->k[j], k->kn[j]) : NULL;
    l->first = -1;
    uint32_t b = (uint32_t)(k->hash & (m->nbucket - 1));
    l->next = m->bucket[b];
    m->bucket[b] = i;
    return i;
}

static void leaf_free(fl_tpl_miner *m, int32_t i)
{
    leaf *l = &m->lf[i];
    int32_t *pp = &m->bucket[l->hash & (m->nbucket - 1)];
    while (*pp >= 0 && *pp != i)
        pp = &m->lf[*pp].next;
    if (*pp == i)
        *pp = l->next;
    free(l->key[0]);
    free(l->key[1]);
    l->key[0] = l->key[1] = NULL;
    l->next = m->lfree;
    m->lfree = i;
}

/* ------------------------------------------------------------ templates */

static const char *tok(const cluster *c, uint32_t i)
{
    return c->text + c->off[i];
}

static void render(const fl_tpl_miner *m, const cluster *c, fl_buf *out)
{
    (void)m;
    for (uint32_t i = 0; i < c->ntok; i++) {
        if (i)
            fl_buf_putc(out, ' ');
        fl_buf_puts(out, c->wild[i] ? "<*>" : tok(c, i));
    }
}

uint64_t fl_tpl_text_id(fl_str service, fl_str text)
{
    uint64_t h = fl_hash64(service.p, service.n, 0x51a7e);
    h = fl_hash64("\0", 1, h);
    return fl_hash64(text.p, text.n, h);
}

static void update_id(fl_tpl_miner *m, cluster *c)
{
    m->scratch.n = 0;
    render(m, c, &m->scratch);
    c->id = fl_tpl_text_id(fl_intern_str(m->svcs, c->svc),
                           (fl_str){m->scratch.p ? m->scratch.p : "", m->scratch.n});
}

/* LRU lists: `s` true for the service's list, false for the global one */
static void lru_unlink(fl_tpl_miner *m, int32_t i, bool s)
{
    cluster *c = &m->cl[i];
    lru *l = s ? &m->slru[c->svc] : &m->glru;
    int32_t prev = s ? c->sprev : c->gprev, next = s ? c->snext : c->gnext;
    if (prev >= 0) {
        if (s)
            m->cl[prev].snext = next;
        else
            m->cl[prev].gnext = next;
    } else {
        l->head = next;
    }
    if (next >= 0) {
        if (s)
            m->cl[next].sprev = prev;
        else
            m->cl[next].gprev = prev;
    } else {
        l->tail = prev;
    }
    l->n--;
}

static void lru_push(fl_tpl_miner *m, int32_t i, bool s)
{
    cluster *c = &m->cl[i];
    lru *l = s ? &m->slru[c->svc] : &m->glru;
    if (s) {
        c->sprev = -1;
        c->snext = l->head;
    } else {
        c->gprev = -1;
        c->gnext = l->head;
    }
    if (l->head >= 0) {
        if (s)
            m->cl[l->head].sprev = i;
        else
            m->cl[l->head].gprev = i;
    } else {
        l->tail = i;
    }
    l->head = i;
    l->n++;
}

static void touch(fl_tpl_miner *m, int32_t i)
{
    lru_unlink(m, i, true);
    lru_push(m, i, true);
    lru_unlink(m, i, false);
    lru_push(m, i, false);
}

static void evict(fl_tpl_miner *m, int32_t i)
{
    cluster *c = &m->cl[i];
    lru_unlink(m, i, true);
    lru_unlink(m, i, false);
    leaf *l = &m->lf[c->leaf];
    int32_t *pp = &l->first;
    while (*pp >= 0 && *pp != i)
        pp = &m->cl[*pp].next;
    if (*pp == i)
        *pp = c->next;
    if (l->first < 0)
        leaf_free(m, c->leaf);
    cluster_free_mem(c);
    c->live = false;
    c->next = m->cfree;
    m->cfree = i;
    m->live--;
    m->st.evicted++;
}

/* Drain's similarity: literal template tokens equal to the message's, over
 * the length; wildcards count as parameters (the tie-break). */
static void similarity(const fl_tpl_miner *m, const cluster *c, uint32_t *sim,
                       uint32_t *params, uint32_t *both, bool *covers)
{
    uint32_t s = 0, p = 0, b = 0;
    bool cov = true;
    for (uint32_t i = 0; i < c->ntok; i++) {
        if (c->wild[i]) {
            p++;
            b += m->tw[i];
            continue;
        }
        if (!m->tw[i] && strcmp(tok(c, i), m->tp[i]) == 0)
            s++;
        else
            cov = false;
    }
    *sim = s;
    *params = p;
    *both = b;
    *covers = cov;
}

/* The template of the leaf that fl_tpl_add joins, or -1: the most similar
 * (ties: the more general), if its similarity reaches the threshold. The
 * similarity's denominator leaves out positions that are variable in both
 * the template and the message (masked): they say nothing either way, and
 * counting them would keep a message that is mostly numbers and ids from
 * ever reaching the threshold. */
static int32_t best_in_leaf(const fl_tpl_miner *m, int32_t lf)
{
    int32_t best = -1;
    uint32_t bs = 0, bp = 0, bd = 1;
    for (int32_t i = m->lf[lf].first; i >= 0; i = m->cl[i].next) {
        uint32_t s, p, b;
        bool cov;
        similarity(m, &m->cl[i], &s, &p, &b, &cov);
        uint32_t d = m->nt - b;
        if (d == 0) { /* nothing but variables on both sides */
            s = 1;
            d = 1;
        }
        /* s/d > bs/bd, in integers */
        uint64_t l = (uint64_t)s * bd, r = (uint64_t)bs * d;
        if (best < 0 || l > r || (l == r && p > bp)) {
            best = i;
            bs = s;
            bp = p;
            bd = d;
        }
    }
    if (best >= 0 && (double)bs < m->conf.sim * (double)bd - 1e-9)
        return -1;
    return best;
}

static int32_t service_of(fl_tpl_miner *m, fl_str service, bool add)
{
    int32_t s = fl_intern_get(m->svcs, service);
    if (s < 0 && add)
        s = fl_intern_add(m->svcs, service);
    return s;
}

static int32_t cluster_new(fl_tpl_miner *m, int32_t svc, int32_t lf)
{
    int32_t i;
    if (m->cfree >= 0) {
        i = m->cfree;
        m->cfree = m->cl[i].next;
    } else {
        if (m->ncl == m->capcl) {
            m->capcl = m->capcl ? 2 * m->capcl : 64;
            m->cl = fl_realloc(m->cl, m->capcl * sizeof *m->cl);
        }
        i = (int32_t)m->ncl++;
    }
    cluster *c = &m->cl[i];
    memset(c, 0, sizeof *c);
    c->svc = svc;
    c->ntok = m->nt;
    size_t bytes = 0;
    for (uint32_t k = 0; k < m->nt; k++)
        bytes += m->tl[k] + 1;
    c->text = fl_malloc(bytes ? bytes : 1);
    c->off = fl_malloc(m->nt * sizeof *c->off);
    c->wild = fl_malloc(m->nt);
    size_t o = 0;
    for (uint32_t k = 0; k < m->nt; k++) {
        c->off[k] = (uint32_t)o;
        memcpy(c->text + o, m->tp[k], m->tl[k]);
        c->text[o + m->tl[k]] = '\0';
        o += m->tl[k] + 1;
        c->wild[k] = m->tw[k];
    }
    c->live = true;
    c->leaf = lf;
    /* appended, so a leaf is scanned in creation order (deterministic) */
    c->next = -1;
    int32_t *pp = &m->lf[lf].first;
    while (*pp >= 0)
        pp = &m->cl[*pp].next;
    *pp = i;
    lru_push(m, i, true);
    lru_push(m, i, false);
    m->live++;
    return i;
}

int32_t fl_tpl_add(fl_tpl_miner *m, fl_str service, fl_str msg)
{
    m->st.messages++;
    int32_t svc = service_of(m, service, true);
    if (svc < 0) {
        m->st.rejected++;
        return -1;
    }
    prepare(m, msg);
    if (m->nt == 0) {
        m->st.empty++;
        return -1;
    }
    leaf_key k;
    make_key(m, svc, &k);
    int32_t lf = leaf_find(m, svc, &k);
    int32_t c = lf >= 0 ? best_in_leaf(m, lf) : -1;
    if (c >= 0) {
        cluster *cl = &m->cl[c];
        bool changed = false;
        for (uint32_t i = 0; i < cl->ntok; i++)
            if (!cl->wild[i] && (m->tw[i] || strcmp(tok(cl, i), m->tp[i]))) {
                cl->wild[i] = 1;
                changed = true;
            }
        if (changed)
            update_id(m, cl);
        cl->count++;
        touch(m, c);
        return c;
    }
    /* a new template: make room first (that may free this very leaf) */
    if (m->slru[svc].n >= m->conf.max_per_service)
        evict(m, m->slru[svc].tail);
    else if (m->live >= m->conf.max_total)
        evict(m, m->glru.tail);
    lf = leaf_find(m, svc, &k);
    if (lf < 0)
        lf = leaf_new(m, svc, &k);
    c = cluster_new(m, svc, lf);
    m->cl[c].count = 1;
    update_id(m, &m->cl[c]);
    return c;
}

int32_t fl_tpl_match(fl_tpl_miner *m, fl_str service, fl_str msg)
{
    int32_t svc = service_of(m, service, false);
    if (svc < 0)
        return -1;
    prepare(m, msg);
    if (m->nt == 0)
        return -1;
    leaf_key k;
    make_key(m, svc, &k);
    int32_t lf = leaf_find(m, svc, &k);
    if (lf < 0)
        return -1;
    int32_t best = -1;
    uint32_t blit = 0;
    for (int32_t i = m->lf[lf].first; i >= 0; i = m->cl[i].next) {
        uint32_t s, p, b;
        bool cov;
        similarity(m, &m->cl[i], &s, &p, &b, &cov);
        if (!cov)
            continue;
        if (best < 0 || s > blit ||
            (s == blit && m->cl[i].count > m->cl[best].count)) {
            best = i;
            blit = s;
        }
    }
    return best >= 0 ? best : best_in_leaf(m, lf);
}

void fl_tpl_masked(fl_tpl_miner *m, fl_str msg, fl_buf *out)
{
    prepare(m, msg);
    for (uint32_t i = 0; i < m->nt; i++) {
        if (i)
            fl_buf_putc(out, ' ');
        fl_buf_put(out, m->tp[i], m->tl[i]);
    }
}

uint32_t fl_tpl_capacity(const fl_tpl_miner *m) { return m->ncl; }

bool fl_tpl_live(const fl_tpl_miner *m, int32_t h)
{
    return h >= 0 && (uint32_t)h < m->ncl && m->cl[h].live;
}

uint64_t fl_tpl_id(const fl_tpl_miner *m, int32_t h) { return m->cl[h].id; }

uint64_t fl_tpl_count(const fl_tpl_miner *m, int32_t h)
{
    return m->cl[h].count;
}

const char *fl_tpl_service(const fl_tpl_miner *m, int32_t h)
{
    return fl_intern_name(m->svcs, m->cl[h].svc);
}

void fl_tpl_text(const fl_tpl_miner *m, int32_t h, fl_buf *out)
{
    render(m, &m->cl[h], out);
}

uint32_t fl_tpl_live_count(const fl_tpl_miner *m) { return m->live; }

const fl_tpl_stats *fl_tpl_get_stats(const fl_tpl_miner *m) { return &m->st; }
