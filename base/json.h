/* json.h - a small streaming JSON writer (pretty-printed, 2-space indent). */
#ifndef SYNO_JSON_H
#define SYNO_JSON_H

#include "base/buf.h"

#define SYNO_JSON_MAX_DEPTH 32

typedef struct syno_json {
    syno_buf *out;
    int depth;
    bool first[SYNO_JSON_MAX_DEPTH];
    bool inline_[SYNO_JSON_MAX_DEPTH]; /* elements on one line */
    bool after_key;
} syno_json;

void syno_json_init(syno_json *j, syno_buf *out);
void syno_json_begin_object(syno_json *j);
void syno_json_end_object(syno_json *j);
void syno_json_begin_array(syno_json *j);
void syno_json_begin_array_inline(syno_json *j);
void syno_json_end_array(syno_json *j);
void syno_json_key(syno_json *j, const char *key);
void syno_json_string(syno_json *j, const char *s);
void syno_json_int(syno_json *j, int64_t v);
void syno_json_double(syno_json *j, double v);
void syno_json_bool(syno_json *j, bool v);
void syno_json_null(syno_json *j);

#endif
