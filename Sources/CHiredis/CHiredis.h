// CHiredis: the only C bridge to hiredis (libhiredis-dev 0.14.1 on Debian 12, RESP2 only).
// Imported by ClustmakeRedis alone; nothing of it appears in that module's public API.
//
// Use only redisAppendFormattedCommand (ClustmakeRedis formats each command in RESP itself, in one
// buffer: hiredis's per-argument formatting cost a tenth of the CPU of reading a namespace) and
// redisGetReply: the variadic redisCommand/redisAppendCommand are not importable into Swift, and
// their format strings would be a hazard anyway.
#pragma once

// pkg-config's Cflags add -I/usr/include/hiredis; include through the parent directory so the
// header is found with or without that flag (hiredis.h includes "read.h" relative to itself).
#if __has_include(<hiredis/hiredis.h>)
#include <hiredis/hiredis.h>
#else
#include <hiredis.h>
#endif

// The reply types the Swift decoder knows: hiredis 1.x adds RESP3 types (7 and up) that 0.14.1
// lacks; ClustmakeRedis treats any other value as a protocol error.
_Static_assert(REDIS_REPLY_STRING == 1 && REDIS_REPLY_ARRAY == 2 && REDIS_REPLY_INTEGER == 3
                   && REDIS_REPLY_NIL == 4 && REDIS_REPLY_STATUS == 5 && REDIS_REPLY_ERROR == 6,
               "unexpected hiredis reply type values");
