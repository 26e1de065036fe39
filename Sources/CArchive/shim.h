#ifndef CARCHIVE_SHIM_H
#define CARCHIVE_SHIM_H

#include <archive.h>
#include <archive_entry.h>
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <locale.h>
#include <langinfo.h>
#include <string.h>

/* libarchive converts entry names through the C library's locale. In the default "C" locale any non-ASCII name
   (Chinese file names) becomes "?" or NULL, so the process switches LC_CTYPE to C.UTF-8 unless it already uses UTF-8. */
static inline void carchive_use_utf8_locale(void) {
    const char *codeset = nl_langinfo(CODESET);
    if (codeset == NULL || strcmp(codeset, "UTF-8") != 0) {
        if (setlocale(LC_CTYPE, "C.UTF-8") == NULL) {
            setlocale(LC_CTYPE, "C.utf8");
        }
    }
}

/* libarchive's AE_IF* macros are casts Swift cannot import; these typed constants stand in for them. */
static const unsigned int carchive_ifmt = AE_IFMT;
static const unsigned int carchive_ifreg = AE_IFREG;
static const unsigned int carchive_ifdir = AE_IFDIR;
static const unsigned int carchive_iflnk = AE_IFLNK;
static const unsigned int carchive_ifsock = AE_IFSOCK;
static const unsigned int carchive_ifchr = AE_IFCHR;
static const unsigned int carchive_ifblk = AE_IFBLK;
static const unsigned int carchive_ififo = AE_IFIFO;

/* The file type bits of an entry, as a plain unsigned int. */
static inline unsigned int carchive_entry_filetype(struct archive_entry *entry) {
    return (unsigned int)archive_entry_filetype(entry);
}

/* Sets the file type of an entry from a plain unsigned int. */
static inline void carchive_entry_set_filetype(struct archive_entry *entry, unsigned int type) {
    archive_entry_set_filetype(entry, type);
}

/* syncfs(2) is declared by glibc only under _GNU_SOURCE. The importer flushes a whole file system once instead of
   calling fsync on thousands of extracted files, so it is declared and wrapped here, beside the extraction code. */
extern int syncfs(int fd);
static inline int carchive_syncfs(int fd) {
    return syncfs(fd);
}

#endif
