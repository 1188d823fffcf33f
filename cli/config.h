/*
 * config.h - the configuration file (`--config FILE`, `faultline config`).
 *
 * YAML, read with libyaml's event API so every error names its line:
 * "FILE:LINE: reason", one line. Sections: input, detect, rca (keys with
 * values), files, topics (defaults per input path glob and per Kafka topic)
 * and patterns (user-defined line formats, registered with the decoders).
 *
 * One table (fl_config_keys, in config.c) describes every key: its
 * section, name, type, default, allowed range and help text. The parser,
 * the validation, `faultline config --defaults`, `--reference` (which
 * generates docs/CONFIG.md and the README section) all read it; nothing
 * else spells a key or a default.
 *
 * Precedence: a command-line option beats the file; within the file, a
 * files/topics entry's format beats input.format. `--format` on the command
 * line beats both.
 */
#ifndef FL_CONFIG_H
#define FL_CONFIG_H

#include "pipeline.h"

/* ------------------------------------------------------- the key table */

typedef enum {
    FL_CT_DURATION, /* "10s", "500ms", "2m", "1h", "1d"; whole milliseconds */
    FL_CT_COUNT,    /* a whole number */
    FL_CT_NUMBER,   /* a decimal number */
    FL_CT_FORMAT,   /* auto, a built-in format, or a pattern's name */
    FL_CT_GLOB,     /* fnmatch(3) pattern over input paths */
    FL_CT_TOPIC,    /* a topic name or an fnmatch(3) pattern over them */
    FL_CT_SERVICE,  /* a service name */
    FL_CT_NAME,     /* a pattern's name */
    FL_CT_REGEX,    /* a PCRE2 regular expression */
    FL_CT_FIELDS,   /* a mapping: event field -> the user's key path */
    FL_CT_TOPOLOGY, /* a mapping: caller service -> list of callees */
} fl_config_type;

#define FL_CONFIG_REQUIRED 1u /* list entries: the key must be given */

typedef struct {
    const char *section; /* input, detect, rca, files, topics, patterns */
    const char *name;
    fl_config_type type;
    const char *def;  /* the default as written in the file; NULL: none */
    int64_t min, max; /* durations in ns, counts, numbers; strings:
                       * length in bytes */
    const char *help;
    unsigned flags;
    size_t off, size; /* where the value goes (config.c's business) */
} fl_config_key;

extern const fl_config_key fl_config_keys[];
extern const size_t fl_config_nkeys;

/* ------------------------------------------------------------ a config */

typedef struct fl_config fl_config;

/* What a files or topics entry sets for the inputs it matches. */
typedef struct {
    bool has_format;
    fl_format format;
    const char *format_name; /* as written */
    const char *service;     /* NULL when the entry names none */
    const fl_field_map *fields; /* the entry's field names over the input
                                 * section's; NULL when neither names any */
} fl_source_defaults;

/* Parse without registering patterns with the decoders (their names still
 * count as formats inside this file): for fuzzing and checks. */
#define FL_CONFIG_NO_REGISTER 1u

/* Reads, validates and (unless flagged) registers the file's patterns.
 * NULL with "PATH:LINE: reason" (one line) in errstr. */
fl_config *fl_config_load(const char *path, unsigned flags, char *errstr,
                          size_t errlen);
/* The same from memory; `name` stands for the file in messages. */
fl_config *fl_config_parse(const char *name, const void *data, size_t n,
                           unsigned flags, char *errstr, size_t errlen);
void fl_config_free(fl_config *c);

/* Copies into conf every input, detect and rca value the file sets (the
 * others keep theirs). Call before applying command-line options. */
void fl_config_apply(const fl_config *c, fl_pipeline_conf *conf);
/* After the command-line options: derives what depends on several values
 * (the false-alarm target in buckets) and, when the command line gave
 * --format, makes it win over files and topics entries. c may be NULL. */
void fl_config_finish(fl_config *c, fl_pipeline_conf *conf,
                      bool format_from_cli);

/* The first files entry whose glob matches path (stdin is "-"), or the
 * first topics entry matching topic; NULL when none does or c is NULL. */
const fl_source_defaults *fl_config_for_file(const fl_config *c,
                                             const char *path);
const fl_source_defaults *fl_config_for_topic(const fl_config *c,
                                              const char *topic);

/* The field names of inputs no files/topics entry matches (the input
 * section's `fields`); NULL when it names none or c is NULL. */
const fl_field_map *fl_config_fields(const fl_config *c);

/* The configuration as a YAML file that parses back to the same values;
 * with comments, every key's help text and commented examples. An empty
 * configuration (c == NULL) gives the defaults. */
void fl_config_write(const fl_config *c, bool comments, fl_buf *b);
/* The reference as Markdown: the whole of docs/CONFIG.md, or the shorter
 * section README.md carries between its config-reference markers. */
void fl_config_reference(fl_buf *b, bool readme);

/* `faultline config --defaults | --check FILE | --reference | --help` */
int fl_cmd_config(int argc, char **argv);

#endif
