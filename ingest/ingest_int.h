/* ingest_int.h - declarations private to ingest/. */
#ifndef FL_INGEST_INT_H
#define FL_INGEST_INT_H
#include "fl_ingest.h"

fl_format fl_decoder_format(const fl_decoder *dec);

#endif
