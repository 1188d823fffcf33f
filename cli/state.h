/*
 * state.h - checkpoints of a consumer's state, so a restarted consumer
 * resumes where the last checkpoint left off.
 *
 * File format (state-dir/checkpoint.fl), chosen to be refused loudly when
 * anything is off rather than half-loaded:
 *   bytes 0-7    magic "FLCKPT\0\1"
 *   bytes 8-11   format version, u32 little endian (FL_STATE_VERSION)
 *   bytes 12-19  payload length in bytes, u64 little endian
 *   bytes 20-27  checksum of the payload: fl_hash64 (FNV-1a 64 with a
 *                final avalanche), u64 little endian
 *   bytes 28-    payload: one zstd frame (with zstd's own content checksum)
 *                of one msgpack map: {"v": version, "conf": {...},
 *                "offsets": [[topic, partition, next offset], ...],
 *                "pipeline": <fl_pipeline_pack>}
 * Written atomically (temp file, fsync, rename). A file that is truncated,
 * corrupt, of another version, or made with other detector settings
 * (bucket, lateness) is refused with a message, never loaded.
 */
#ifndef FL_STATE_H
#define FL_STATE_H

#include "pipeline.h"

#define FL_STATE_VERSION 1

typedef struct {
    char **topics;
    int32_t *partitions;
    int64_t *offsets; /* next offset to read */
    size_t n;
} fl_state_offsets;

void fl_state_offsets_add(fl_state_offsets *o, const char *topic,
                          int32_t partition, int64_t next_offset);
void fl_state_offsets_free(fl_state_offsets *o);

bool fl_state_save(const char *dir, const fl_pipeline *p,
                   const fl_state_offsets *offs, char *errstr, size_t errlen);
/* FL_OK: loaded (errstr describes what) and *offs holds the offsets the
 * checkpoint covers (resume there: they may be ahead of the group's
 * committed offsets if the process died between checkpoint and commit);
 * FL_ERR_IO: no checkpoint there; FL_ERR_CONFIG: a checkpoint exists but
 * is refused (errstr says why). */
fl_err fl_state_load(const char *dir, fl_pipeline *p, fl_state_offsets *offs,
                     char *errstr, size_t errlen);
/* The next offset the checkpoint holds for a partition, or -1. */
int64_t fl_state_offsets_find(const fl_state_offsets *o, const char *topic,
                              int32_t partition);
/* Checks a checkpoint file without loading it (tests, tools). */
fl_err fl_state_verify_file(const char *path, char *errstr, size_t errlen);

#endif
