/* atomicfile: replace a file as a whole (written next to it as PATH.tmp,
 * then renamed), so a reader sees the old or the new content, never a part.
 * Public functions are prefixed atomicfile_. */
#pragma once
#include <stddef.h>
#include <stdio.h>

/* atomicfile_open - open @path's temporary twin for writing; its name goes
 * to @tmp (@tmplen bytes). NULL with errno set on failure. */
FILE *atomicfile_open(const char *path, char *tmp, size_t tmplen);
/* atomicfile_commit - close @f (opened by atomicfile_open as @tmp) and
 * rename it to @path; on any error the temporary file is removed.
 * 0 or -errno. */
int atomicfile_commit(FILE *f, const char *tmp, const char *path);
