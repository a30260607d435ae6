/* Opening the database without harming one we do not understand.
 *
 * An existing file goes through three checks before any connection that can
 * write is opened:
 *   1. check_header reads the first 100 bytes itself: the SQLite magic, sane
 *      header fields, a size that is whole pages and not shorter than the
 *      header says (a truncated copy).
 *   2. check_contents opens a read-only connection: the schema version in the
 *      file header (before the schema is parsed, so a newer schema with SQL we
 *      cannot parse still reads as "newer"), the application id, PRAGMA
 *      quick_check, and the schema_version table.
 *   3. check_writable: the file and, when SQLite must create the -wal and
 *      -shm, its folder are writable.
 * Only then does open_main open it for writing, and db_migrate write.
 *
 * The read-only connection must not create files either. A plain read-only
 * open of a WAL database creates and leaves an empty -wal and a -shm, so when
 * the database has no -wal, -shm or -journal beside it (nobody has it open,
 * its last writer closed cleanly) the check opens it with immutable=1: SQLite
 * then reads the main file alone, takes no locks and creates nothing. When a
 * -wal is there, its committed pages belong to the database, so the check
 * opens read-only with locks: SQLite reads the -wal but never writes it or the
 * database from a read-only connection. The one side effect left is that if a
 * crash left a -wal without its -shm, SQLite's read-only recovery creates the
 * -shm (an index of the -wal, no data). A rollback journal left by a crash in
 * rollback-journal mode (never ours: sightline databases are WAL) is rolled
 * back first, as any SQLite program would on open.
 *
 * The checks read one snapshot (one read transaction), and an unlocked pass
 * that fails while a -wal or journal has appeared meanwhile (another process
 * creating the same new database) is repeated with locks.
 *
 * Encryption (SQLCipher builds): open_sqlite applies the key right after
 * sqlite3_open_v2, before anything is read, on every connection, the checking
 * one included. An encrypted file has no readable header (SQLCipher encrypts
 * the first page but its 16-byte salt), so check_header checks only that it
 * is not a plain database; check_contents then reads the schema first, and
 * SQLite's "not a database" there means the key does not decrypt it. */
#include "storage/db_internal.h"
#include "storage/migrations_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { SQLITE_HEADER_SIZE = 100 };

/* "SQLite format 3" and its terminating zero. */
static const char sqlite_magic[16] = "SQLite format 3";

/* ---- paths ---- */

sl_status db_path_from(const char *xdg_data_home, const char *home, char **out, sl_error *err)
{
    *out = NULL;
    const char *base, *tail;
    if (xdg_data_home && xdg_data_home[0] == '/') {
        base = xdg_data_home;
        tail = "/sightline/sightline.db";
    } else if (home && home[0] == '/') {
        base = home;
        tail = "/.local/share/sightline/sightline.db";
    } else if (!home || !home[0]) {
        return sl_fail(err, SL_ERR_ARG,
                       "cannot place the database: HOME is not set and XDG_DATA_HOME is not "
                       "an absolute path (give --db PATH)");
    } else {
        return sl_fail(err, SL_ERR_ARG,
                       "cannot place the database: HOME '%s' is not an absolute path "
                       "(give --db PATH)",
                       home);
    }
    size_t len = strlen(base);
    while (len > 0 && base[len - 1] == '/')
        len--;
    size_t total = len + strlen(tail);
    if (total >= PATH_MAX)
        return sl_fail(err, SL_ERR_ARG, "cannot place the database: '%s' is too long", base);
    char *path = malloc(total + 1);
    if (!path)
        return sl_fail(err, SL_ERR_NOMEM, "out of memory for the database path");
    memcpy(path, base, len);
    strcpy(path + len, tail);
    *out = path;
    return SL_OK;
}

sl_status db_default_path(char **out, sl_error *err)
{
    const char *home = getenv("HOME");
    char buf[4096];
    if (!home || !home[0]) {
        struct passwd pw, *found = NULL;
        if (getpwuid_r(getuid(), &pw, buf, sizeof buf, &found) == 0 && found)
            home = found->pw_dir;
    }
    return db_path_from(getenv("XDG_DATA_HOME"), home, out, err);
}

int64_t db_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static double monotonic_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec * 1e-6;
}

/* path + suffix into buf (PATH_MAX + 16 bytes; db_open checked the length). */
static const char *side_path(char *buf, const char *path, const char *suffix)
{
    snprintf(buf, PATH_MAX + 16, "%s%s", path, suffix);
    return buf;
}

/* The folder part of path into buf ("." for a bare name). */
static const char *folder_of(char *buf, const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return strcpy(buf, ".");
    if (slash == path)
        return strcpy(buf, "/");
    size_t len = (size_t)(slash - path);
    memcpy(buf, path, len);
    buf[len] = '\0';
    return buf;
}

/* "file:" URI for SQLite, so a path with '?', '#' or '%' means itself and
 * the query parameters (mode, immutable) can be given. */
char *db_path_uri(const char *path, const char *params)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(path);
    char *uri = malloc(8 + 3 * n + 1 + strlen(params) + 1);
    if (!uri)
        return NULL;
    char *p = uri;
    memcpy(p, "file:", 5);
    p += 5;
    if (path[0] == '/') {
        memcpy(p, "//", 2); /* empty authority: file:///abs/path */
        p += 2;
    }
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)path[i];
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~' || c == '/') {
            *p++ = (char)c;
        } else {
            *p++ = '%';
            *p++ = hex[c >> 4];
            *p++ = hex[c & 15];
        }
    }
    *p++ = '?';
    strcpy(p, params);
    return uri;
}

/* ---- errors ---- */

/* Error text from SQLite on one line (quick_check reports several). */
static void one_line(char *s)
{
    for (; *s; s++)
        if (*s == '\n' || *s == '\r' || *s == '\t')
            *s = ' ';
}

sl_status db_fail_sqlite(const char *path, sqlite3 *sq, int rc, int busy_timeout_ms,
                         const char *doing, sl_error *err)
{
    char why[256];
    snprintf(why, sizeof why, "%s", sq ? sqlite3_errmsg(sq) : sqlite3_errstr(rc));
    one_line(why);
    switch (rc & 0xff) {
    case SQLITE_CORRUPT:
    case SQLITE_NOTADB:
        return sl_fail(err, SL_ERR_DB,
                       "%s: database is corrupt: %s (while %s)", path, why, doing);
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
        return sl_fail(err, SL_ERR_DB,
                       "%s: database is locked by another program (waited %d ms while %s)",
                       path, busy_timeout_ms, doing);
    case SQLITE_READONLY:
        return sl_fail(err, SL_ERR_DB, "%s: database is read-only (%s, while %s)", path, why,
                       doing);
    case SQLITE_FULL:
        return sl_fail(err, SL_ERR_IO, "%s: the disk is full (while %s)", path, doing);
    case SQLITE_NOMEM:
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory while %s", path, doing);
    case SQLITE_IOERR:
    case SQLITE_CANTOPEN:
    case SQLITE_PERM:
        return sl_fail(err, SL_ERR_IO, "%s: %s (while %s)", path, why, doing);
    case SQLITE_TOOBIG:
    case SQLITE_RANGE:
        return sl_fail(err, SL_ERR_LIMIT, "%s: %s (while %s)", path, why, doing);
    default:
        return sl_fail(err, SL_ERR_DB, "%s: %s (while %s)", path, why, doing);
    }
}

sl_status db_fail(sl_db *db, int rc, const char *doing, sl_error *err)
{
    return db_fail_sqlite(db->path, db->sq, rc, db->busy_timeout_ms, doing, err);
}

static sl_status fail_corrupt(const char *path, sl_error *err, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static sl_status fail_corrupt(const char *path, sl_error *err, const char *fmt, ...)
{
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return sl_fail(err, SL_ERR_DB, "%s: database is corrupt: %s", path, why);
}

/* ---- statements ---- */

sl_status db_exec(sl_db *db, const char *sql, const char *doing, sl_error *err)
{
    int rc = sqlite3_exec(db->sq, sql, NULL, NULL, NULL);
    return rc == SQLITE_OK ? SL_OK : db_fail(db, rc, doing, err);
}

sl_status db_prepare(sl_db *db, const char *sql, sqlite3_stmt **stmt, const char *doing,
                     sl_error *err)
{
    *stmt = NULL;
    int rc = sqlite3_prepare_v2(db->sq, sql, -1, stmt, NULL);
    if (rc != SQLITE_OK) {
        sqlite3_finalize(*stmt);
        *stmt = NULL;
        return db_fail(db, rc, doing, err);
    }
    return SL_OK;
}

sl_status db_query_int64(sl_db *db, const char *sql, long long *value, const char *doing,
                         sl_error *err)
{
    *value = 0;
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, sql, &st, doing, err);
    if (s != SL_OK)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        *value = sqlite3_column_int64(st, 0);
        rc = sqlite3_step(st);
    }
    if (rc != SQLITE_DONE)
        s = db_fail(db, rc, doing, err);
    sqlite3_finalize(st);
    return s;
}

/* ---- encryption ---- */

int db_encryption_available(void)
{
#ifdef SL_STORAGE_SQLCIPHER
    return 1;
#else
    return 0;
#endif
}

#ifndef SL_STORAGE_SQLCIPHER
static sl_status fail_no_encryption(const char *path, sl_error *err)
{
    return sl_fail(err, SL_ERR_DB,
                   "%s: a passphrase was given but this sightline was built without encryption "
                   "(meson setup -Dencryption=true links SQLCipher)",
                   path);
}
#endif

sl_status db_file_is_encrypted(const char *path, int *encrypted, sl_error *err)
{
    *encrypted = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        if (errno == ENOENT || errno == ENOTDIR)
            return SL_OK;
        return sl_fail(err, SL_ERR_IO, "%s: cannot read the database: %s", path,
                       strerror(errno));
    }
    struct stat st;
    char h[sizeof sqlite_magic];
    ssize_t n = 0;
    if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 0)
        n = pread(fd, h, sizeof h, 0);
    close(fd);
    *encrypted = n > 0 && !(n == (ssize_t)sizeof h && memcmp(h, sqlite_magic, sizeof h) == 0);
    return SL_OK;
}

/* ---- the checks ---- */

typedef struct side_files {
    int wal, shm, journal; /* exists */
    long long wal_size;
} side_files;

static void find_side_files(const char *path, side_files *sf)
{
    char buf[PATH_MAX + 16];
    struct stat st;
    memset(sf, 0, sizeof *sf);
    if (stat(side_path(buf, path, "-wal"), &st) == 0) {
        sf->wal = 1;
        sf->wal_size = (long long)st.st_size;
    }
    sf->shm = stat(side_path(buf, path, "-shm"), &st) == 0;
    sf->journal = stat(side_path(buf, path, "-journal"), &st) == 0;
}

static uint32_t be16(const unsigned char *p)
{
    return (uint32_t)p[0] << 8 | p[1];
}

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The file's own bytes, before SQLite sees it. *size gets its length. */
static sl_status check_header(const char *path, const side_files *sf, int keyed,
                              long long *size, sl_error *err)
{
    /* O_NONBLOCK: a FIFO given as the path must not hang the open. */
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0)
        return sl_fail(err, SL_ERR_IO, "%s: cannot read the database: %s", path,
                       strerror(errno));
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return sl_fail(err, SL_ERR_IO, "%s: cannot read the database: %s", path, strerror(e));
    }
    if (!S_ISREG(st.st_mode)) {
        close(fd);
        return sl_fail(err, SL_ERR_DB, "%s: not a database file (not a regular file)", path);
    }
    *size = (long long)st.st_size;
    unsigned char h[SQLITE_HEADER_SIZE];
    size_t got = 0;
    while (got < sizeof h) {
        ssize_t n = pread(fd, h + got, sizeof h - got, (off_t)got);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            int e = errno;
            close(fd);
            return sl_fail(err, SL_ERR_IO, "%s: cannot read the database: %s", path,
                           strerror(e));
        }
        if (n == 0)
            break;
        got += (size_t)n;
    }
    close(fd);
    if (*size == 0)
        return SL_OK;
    int plain = got >= sizeof sqlite_magic && memcmp(h, sqlite_magic, sizeof sqlite_magic) == 0;
    if (keyed && plain)
        return sl_fail(err, SL_ERR_DB,
                       "%s: the database is not encrypted; open it without a passphrase", path);
    if (keyed)
        return SL_OK; /* an encrypted header: SQLCipher checks it with the key */
    if (!plain)
        return sl_fail(err, SL_ERR_DB,
                       "%s: not a SQLite database (it does not start with the SQLite header)%s",
                       path,
                       db_encryption_available()
                           ? "; if it is an encrypted sightline database, give its passphrase"
                           : "; if it is an encrypted sightline database, this sightline was "
                             "built without encryption (meson setup -Dencryption=true)");
    if (got < sizeof h)
        return fail_corrupt(path, err, "the file is %zu bytes, shorter than a SQLite header",
                            got);

    uint32_t page_size = be16(h + 16);
    if (page_size == 1)
        page_size = 65536;
    if (page_size < 512 || page_size > 65536 || (page_size & (page_size - 1)) != 0)
        return fail_corrupt(path, err, "page size %u in the header is not valid", page_size);
    if (h[18] < 1 || h[18] > 2 || h[19] < 1 || h[19] > 2)
        return fail_corrupt(path, err, "unknown file format versions %u/%u in the header",
                            h[18], h[19]);
    if (page_size - h[20] < 480 || h[21] != 64 || h[22] != 32 || h[23] != 32)
        return fail_corrupt(path, err, "page layout fields in the header are not valid");
    if (*size % page_size != 0)
        return fail_corrupt(path, err,
                            "the file is %lld bytes, not a whole number of %u-byte pages",
                            *size, page_size);
    /* The page count at 28 is valid when the change counter at 24 equals
     * the one at 92. With a non-empty -wal the file may lag behind it until
     * the -wal is checkpointed, and SQLite checks it then. */
    uint32_t pages = be32(h + 28);
    if (be32(h + 24) == be32(h + 92) && pages > 0 && !(sf->wal && sf->wal_size > 0) &&
        (unsigned long long)pages * page_size > (unsigned long long)*size)
        return fail_corrupt(path, err,
                            "truncated: the header says %u pages of %u bytes, the file "
                            "holds %lld bytes",
                            pages, page_size, *size);
    return SL_OK;
}

/* Opens a connection through a URI, and applies o's key (SQLCipher) before
 * anything is read. */
static sl_status open_sqlite(const char *path, const char *params, int flags,
                             const sl_db *o, sqlite3 **out, sl_error *err)
{
    *out = NULL;
    int busy_timeout_ms = o->busy_timeout_ms;
    char *uri = db_path_uri(path, params);
    if (!uri)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    sqlite3 *sq = NULL;
    int rc = sqlite3_open_v2(uri, &sq, flags | SQLITE_OPEN_URI, NULL);
    free(uri);
    if (rc != SQLITE_OK) {
        sl_status s = db_fail_sqlite(path, sq, rc, busy_timeout_ms, "opening the database", err);
        sqlite3_close(sq);
        return s;
    }
    if (o->key) {
#ifdef SL_STORAGE_SQLCIPHER
        rc = sqlite3_key(sq, o->key, (int)o->key_len);
        if (rc != SQLITE_OK) {
            sl_status s = db_fail_sqlite(path, sq, rc, busy_timeout_ms, "applying the key", err);
            sqlite3_close(sq);
            return s;
        }
#else
        sqlite3_close(sq);
        return fail_no_encryption(path, err);
#endif
    }
    sqlite3_extended_result_codes(sq, 1);
    sqlite3_busy_timeout(sq, busy_timeout_ms);
#ifdef SQLITE_DBCONFIG_DEFENSIVE
    /* No writable_schema tricks through this connection. */
    sqlite3_db_config(sq, SQLITE_DBCONFIG_DEFENSIVE, 1, (int *)NULL);
#endif
    *out = sq;
    return SL_OK;
}

/* A crash in rollback-journal mode leaves a "hot" journal that a read-only
 * connection refuses to read past (SQLITE_READONLY_ROLLBACK). Reading the
 * schema through a writable connection makes SQLite roll it back. */
static sl_status roll_back_hot_journal(const char *path, const sl_db *o, sl_error *err)
{
    sl_db c = *o;
    sl_status s = open_sqlite(path, "mode=rw", SQLITE_OPEN_READWRITE, o, &c.sq, err);
    if (s != SL_OK)
        return s;
    long long n = 0;
    s = db_query_int64(&c, "SELECT count(*) FROM sqlite_master", &n,
                       "rolling back an interrupted transaction", err);
    sqlite3_close(c.sq);
    return s;
}

/* What the first row of PRAGMA quick_check(1) says: "ok" or the first
 * problem. */
static sl_status quick_check(sl_db *c, sl_error *err)
{
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(c, "PRAGMA quick_check(1)", &st, "checking the database", err);
    if (s != SL_OK)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *result = (const char *)sqlite3_column_text(st, 0);
        if (!result || strcmp(result, "ok") != 0) {
            char why[200];
            snprintf(why, sizeof why, "quick_check: %s", result ? result : "no result");
            one_line(why);
            s = fail_corrupt(c->path, err, "%s", why);
        }
    } else if (rc != SQLITE_DONE) {
        s = db_fail(c, rc, "checking the database", err);
    }
    sqlite3_finalize(st);
    return s;
}

/* Everything SQLite can tell through a read-only connection. *hot_journal is
 * set when a rollback journal must be rolled back first. */
static sl_status check_contents(const char *path, int immutable, const sl_db *o,
                                int *hot_journal, sl_error *err)
{
    *hot_journal = 0;
    sl_db c = *o;
    sl_status s = open_sqlite(path, immutable ? "mode=ro&immutable=1" : "mode=ro",
                              SQLITE_OPEN_READONLY, o, &c.sq, err);
    if (s != SL_OK)
        return s;
    if (o->key) {
        /* The first read decrypts page 1: "not a database" here is a key
         * that does not fit (or a file that is no database at all). */
        int krc = sqlite3_exec(c.sq, "SELECT count(*) FROM sqlite_master", NULL, NULL, NULL);
        if ((krc & 0xff) == SQLITE_NOTADB) {
            sqlite3_close(c.sq);
            return sl_fail(err, SL_ERR_DB, "%s: wrong passphrase, or not a sightline database",
                           path);
        }
    }
    /* Both live in the file header: readable before the schema is parsed. */
    long long version = 0, app_id = 0;
    int rc = sqlite3_exec(c.sq, "PRAGMA user_version", NULL, NULL, NULL);
    if (rc == SQLITE_READONLY_ROLLBACK) {
        *hot_journal = 1;
        sqlite3_close(c.sq);
        return SL_ERR_DB;
    }
    /* One read transaction: every answer below comes from the same state,
     * even while another connection commits. */
    s = db_exec(&c, "BEGIN", "checking the database", err);
    if (s == SL_OK)
        s = db_query_int64(&c, "PRAGMA user_version", &version, "reading the schema version",
                           err);
    if (s == SL_OK)
        s = db_query_int64(&c, "PRAGMA application_id", &app_id, "reading the application id",
                           err);
    if (s == SL_OK && version > db_migrations_latest())
        s = db_fail_newer_schema(path, version, err);
    if (s == SL_OK && app_id != 0 && app_id != DB_APPLICATION_ID)
        s = sl_fail(err, SL_ERR_DB,
                    "%s: a SQLite database of another program (application id 0x%08llx)",
                    path, (unsigned long long)app_id & 0xffffffffull);
    if (s == SL_OK)
        s = quick_check(&c, err);
    long long objects = 0;
    if (s == SL_OK)
        s = db_query_int64(&c,
                           "SELECT count(*) FROM sqlite_master "
                           "WHERE name NOT LIKE 'sqlite\\_%' ESCAPE '\\'",
                           &objects, "reading the schema", err);
    if (s == SL_OK && app_id == 0 && (objects > 0 || version != 0))
        s = sl_fail(err, SL_ERR_DB,
                    "%s: a SQLite database of another program (it has no sightline schema)",
                    path);
    if (s == SL_OK && app_id == DB_APPLICATION_ID) {
        long long rows = 0, lo = 0, hi = 0;
        if (version < 1)
            s = fail_corrupt(path, err, "sightline's application id without a schema version");
        if (s == SL_OK)
            s = db_query_int64(&c,
                               "SELECT count(*) FROM sqlite_master "
                               "WHERE type = 'table' AND name = 'schema_version'",
                               &rows, "reading the schema", err);
        if (s == SL_OK && rows != 1)
            s = fail_corrupt(path, err, "the schema_version table is missing");
        if (s == SL_OK)
            s = db_query_int64(&c, "SELECT count(*) FROM schema_version", &rows,
                               "reading the schema version", err);
        if (s == SL_OK)
            s = db_query_int64(&c, "SELECT min(version) FROM schema_version", &lo,
                               "reading the schema version", err);
        if (s == SL_OK)
            s = db_query_int64(&c, "SELECT max(version) FROM schema_version", &hi,
                               "reading the schema version", err);
        if (s == SL_OK && (lo != 1 || hi != version || rows != version))
            s = fail_corrupt(path, err,
                             "schema_version holds %lld rows, versions %lld to %lld, but the "
                             "header says version %lld",
                             rows, lo, hi, version);
    }
    /* Read-only: ending it cannot fail in a way that matters. */
    sqlite3_exec(c.sq, "COMMIT", NULL, NULL, NULL);
    sqlite3_close(c.sq);
    return s;
}

static sl_status check_writable(const char *path, sl_error *err)
{
    if (access(path, W_OK) != 0) {
        if (errno == EACCES || errno == EROFS || errno == EPERM)
            return sl_fail(err, SL_ERR_DB,
                           "%s: database is read-only (%s); sightline needs to write to it",
                           path, strerror(errno));
        return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(errno));
    }
    side_files sf;
    find_side_files(path, &sf);
    if (!sf.wal || !sf.shm) {
        char dir[PATH_MAX + 16];
        folder_of(dir, path);
        if (access(dir, W_OK | X_OK) != 0)
            return sl_fail(err, SL_ERR_DB,
                           "%s: the database's folder '%s' is read-only (%s); SQLite needs "
                           "to create %s-wal there",
                           path, dir, strerror(errno), path);
    }
    return SL_OK;
}

/* One pass of the checks; *used_immutable says whether it read without
 * locks. */
static sl_status check_once(const char *path, const sl_db *o, int allow_immutable,
                            int *empty, int *used_immutable, sl_error *err)
{
    *empty = 0;
    *used_immutable = 0;
    side_files sf;
    find_side_files(path, &sf);
    long long size = 0;
    sl_status s = check_header(path, &sf, o->key != NULL, &size, err);
    if (s != SL_OK)
        return s;
    if (size == 0) {
        /* SQLite would delete the -wal of an empty database: refuse instead. */
        if (sf.wal && sf.wal_size > 0)
            return fail_corrupt(path, err, "the file is empty but its -wal holds %lld bytes",
                                sf.wal_size);
        *empty = 1;
        return SL_OK;
    }
    *used_immutable = allow_immutable && !sf.wal && !sf.shm && !sf.journal;
    int hot = 0;
    s = check_contents(path, *used_immutable, o, &hot, err);
    if (s != SL_OK && hot) {
        s = roll_back_hot_journal(path, o, err);
        if (s == SL_OK)
            s = check_contents(path, 0, o, &hot, err);
        if (s != SL_OK && hot)
            s = sl_fail(err, SL_ERR_DB, "%s: an interrupted transaction could not be rolled back",
                        path);
    }
    return s;
}

/* Checks an existing file (see the top of this file). *empty is set for a
 * zero-byte file, which is then a new database. */
static sl_status check_existing(const char *path, const sl_db *o, int *empty, sl_error *err)
{
    int immutable = 0;
    sl_status s = check_once(path, o, 1, empty, &immutable, err);
    if (s == SL_ERR_DB && immutable) {
        /* Another program may have started writing while the unlocked pass
         * read (two first starts at once): look again with locks if it has
         * left a -wal or a journal since. */
        side_files now;
        find_side_files(path, &now);
        if (now.wal || now.journal)
            s = check_once(path, o, 0, empty, &immutable, err);
    }
    return s;
}

/* ---- creating ---- */

/* Creates the folders above path that are missing, each 0700. */
static sl_status make_parent_folders(const char *path, sl_error *err)
{
    char dir[PATH_MAX + 16];
    folder_of(dir, path);
    size_t len = strlen(dir);
    for (size_t i = 1; i <= len; i++) {
        if (i < len && (dir[i] != '/' || dir[i - 1] == '/'))
            continue;
        char saved = dir[i];
        dir[i] = '\0';
        struct stat st;
        if (stat(dir, &st) == 0) {
            if (!S_ISDIR(st.st_mode))
                return sl_fail(err, SL_ERR_IO, "%s: cannot create the database: '%s' is not a folder",
                               path, dir);
        } else if (errno != ENOENT) {
            return sl_fail(err, SL_ERR_IO, "%s: cannot create the database: %s: %s", path, dir,
                           strerror(errno));
        } else if (mkdir(dir, 0700) == 0) {
            /* mkdir's mode passes through the umask; set it exactly. */
            if (chmod(dir, 0700) != 0)
                return sl_fail(err, SL_ERR_IO, "%s: cannot set mode 0700 on '%s': %s", path, dir,
                               strerror(errno));
        } else if (errno != EEXIST) {
            return sl_fail(err, SL_ERR_IO, "%s: cannot create the folder '%s': %s", path, dir,
                           strerror(errno));
        }
        dir[i] = saved;
    }
    return SL_OK;
}

/* Creates path as an empty 0600 file; *created is 0 when another process
 * created it first. */
static sl_status create_file(const char *path, int *created, sl_error *err)
{
    *created = 0;
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return SL_OK;
        return sl_fail(err, SL_ERR_IO, "%s: cannot create the database: %s", path,
                       strerror(errno));
    }
    /* The umask may have cleared bits of 0600; set it exactly. SQLite gives
     * the -wal and -shm the database file's mode. */
    if (fchmod(fd, 0600) != 0) {
        int e = errno;
        close(fd);
        unlink(path);
        return sl_fail(err, SL_ERR_IO, "%s: cannot set mode 0600: %s", path, strerror(e));
    }
    close(fd);
    *created = 1;
    return SL_OK;
}

/* ---- the writable connection ---- */

static sl_status open_main(sl_db *db, sl_error *err)
{
    sl_status s = open_sqlite(db->path, "mode=rw", SQLITE_OPEN_READWRITE, db, &db->sq, err);
    if (s != SL_OK)
        return s;
    if (db_fts_register(db->sq) != SQLITE_OK)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory setting up the connection",
                       db->path);
    if (sqlite3_db_readonly(db->sq, "main") == 1)
        return sl_fail(err, SL_ERR_DB,
                       "%s: database is read-only (SQLite could open it for reading only); "
                       "sightline needs to write to it",
                       db->path);
    /* synchronous=FULL: an appliance can lose power; a commit is on disk when
     * it returns. trusted_schema=OFF and cell_size_check: the file is input
     * we did not necessarily write (older SQLite ignores unknown pragmas). */
    s = db_exec(db,
                "PRAGMA foreign_keys = ON;"
                "PRAGMA secure_delete = ON;"
                "PRAGMA trusted_schema = OFF;"
                "PRAGMA cell_size_check = ON;"
                "PRAGMA synchronous = FULL;",
                "setting up the connection", err);
    if (s != SL_OK)
        return s;
    sqlite3_stmt *st = NULL;
    s = db_prepare(db, "PRAGMA journal_mode = WAL", &st, "switching to WAL journaling", err);
    if (s != SL_OK)
        return s;
    /* Switching a new database to WAL reads, then upgrades to a write lock;
     * SQLite does not wait for a lock it is upgrading to (two such waiters
     * would deadlock), so when two first starts race one is told "busy" at
     * once. Wait here instead, up to the busy timeout. */
    double start = monotonic_ms();
    int rc;
    while (((rc = sqlite3_step(st)) & 0xff) == SQLITE_BUSY &&
           monotonic_ms() - start < db->busy_timeout_ms) {
        sqlite3_reset(st);
        sqlite3_sleep(5);
    }
    if (rc == SQLITE_ROW) {
        const char *mode = (const char *)sqlite3_column_text(st, 0);
        if (!mode || strcmp(mode, "wal") != 0)
            s = sl_fail(err, SL_ERR_DB, "%s: SQLite kept journal mode '%s' instead of WAL",
                        db->path, mode ? mode : "?");
    } else {
        s = db_fail(db, rc, "switching to WAL journaling", err);
    }
    sqlite3_finalize(st);
    return s;
}

sl_status db_open_internal(const char *path, const db_options *opts, int foreign_fts,
                           sl_db **out, sl_error *err)
{
    if (!out)
        return sl_fail(err, SL_ERR_ARG, "db_open: no place for the result");
    *out = NULL;
    if (!path || !path[0])
        return sl_fail(err, SL_ERR_ARG, "the database path is empty");
    if (strlen(path) >= PATH_MAX)
        return sl_fail(err, SL_ERR_ARG, "the database path is too long (%zu bytes)",
                       strlen(path));
    int busy = opts && opts->busy_timeout_ms > 0 ? opts->busy_timeout_ms
                                                 : DB_BUSY_TIMEOUT_MS_DEFAULT;
    const char *key = opts ? opts->key : NULL;
    size_t key_len = key ? opts->key_len : 0;
    if (key && key_len == 0)
        return sl_fail(err, SL_ERR_ARG, "%s: the passphrase is empty", path);
    if (key_len > INT_MAX)
        return sl_fail(err, SL_ERR_ARG, "%s: the passphrase is too long", path);
#ifndef SL_STORAGE_SQLCIPHER
    if (key)
        return fail_no_encryption(path, err);
#endif
    /* What the checking connections need; the key is not copied for them. */
    sl_db probe = {.path = (char *)path, .busy_timeout_ms = busy, .key = (char *)key,
                   .key_len = key_len};

    int fresh = 0;
    struct stat st;
    if (stat(path, &st) != 0) {
        /* ENOTDIR: a file where a folder should be; make_parent_folders says so. */
        if (errno != ENOENT && errno != ENOTDIR)
            return sl_fail(err, SL_ERR_IO, "%s: %s", path, strerror(errno));
        sl_status s = make_parent_folders(path, err);
        if (s == SL_OK)
            s = create_file(path, &fresh, err);
        if (s != SL_OK)
            return s;
    }
    if (!fresh) {
        int empty = 0;
        sl_status s = check_existing(path, &probe, &empty, err);
        if (s == SL_OK)
            s = check_writable(path, err);
        if (s != SL_OK)
            return s;
        /* An empty file becomes a new database, private like one we create. */
        if (empty && chmod(path, 0600) != 0)
            return sl_fail(err, SL_ERR_IO, "%s: cannot set mode 0600: %s", path,
                           strerror(errno));
    }

    sl_db *db = calloc(1, sizeof *db);
    if (!db || !(db->path = strdup(path))) {
        free(db);
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
    }
    db->busy_timeout_ms = busy;
    if (key) {
        if (!(db->key = malloc(key_len))) {
            db_close(db);
            return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", path);
        }
        memcpy(db->key, key, key_len);
        db->key_len = key_len;
    }
    sl_status s = open_main(db, err);
    if (s == SL_OK && !foreign_fts)
        s = db_fts_check_modules(db, err);
    if (s == SL_OK)
        s = db_migrate(db, err);
    if (s != SL_OK) {
        db_close(db);
        return s;
    }
    *out = db;
    return SL_OK;
}

sl_status db_open_with(const char *path, const db_options *opts, sl_db **out, sl_error *err)
{
    return db_open_internal(path, opts, 0, out, err);
}

sl_status db_open(const char *path, sl_db **out, sl_error *err)
{
    return db_open_with(path, NULL, out, err);
}

void db_close(sl_db *db)
{
    if (!db)
        return;
    /* close_v2: a statement a caller forgot does not leak the handle. */
    sqlite3_close_v2(db->sq);
    if (db->key) {
        explicit_bzero(db->key, db->key_len);
        free(db->key);
    }
    free(db->path);
    free(db);
}

const char *db_path(const sl_db *db)
{
    return db->path;
}

int db_schema_latest(void)
{
    return db_migrations_latest();
}

sl_status db_schema_version(sl_db *db, int *version, sl_error *err)
{
    long long v = 0;
    sl_status s = db_query_int64(db, "SELECT max(version) FROM schema_version", &v,
                                 "reading the schema version", err);
    *version = (int)v;
    return s;
}

sl_status db_checkpoint(sl_db *db, sl_error *err)
{
    int wal_frames = 0, copied = 0;
    int rc = sqlite3_wal_checkpoint_v2(db->sq, NULL, SQLITE_CHECKPOINT_TRUNCATE, &wal_frames,
                                       &copied);
    return rc == SQLITE_OK ? SL_OK : db_fail(db, rc, "emptying the -wal", err);
}

/* ---- transactions ---- */

sl_status db_begin(sl_db *db, sl_error *err)
{
    char sql[48];
    if (db->tx_depth == 0)
        snprintf(sql, sizeof sql, "BEGIN IMMEDIATE");
    else
        snprintf(sql, sizeof sql, "SAVEPOINT sl_%d", db->tx_depth);
    sl_status s = db_exec(db, sql, "starting a transaction", err);
    if (s == SL_OK)
        db->tx_depth++;
    return s;
}

sl_status db_commit(sl_db *db, sl_error *err)
{
    if (db->tx_depth <= 0)
        return sl_fail(err, SL_ERR_INTERNAL, "%s: commit without a transaction", db->path);
    char sql[48];
    if (db->tx_depth == 1)
        snprintf(sql, sizeof sql, "COMMIT");
    else
        snprintf(sql, sizeof sql, "RELEASE sl_%d", db->tx_depth - 1);
    sl_status s = db_exec(db, sql, "committing", err);
    if (s != SL_OK) {
        /* The caller ends this level here either way. */
        db_rollback(db);
        return s;
    }
    db->tx_depth--;
    return SL_OK;
}

void db_rollback(sl_db *db)
{
    if (!db || db->tx_depth <= 0)
        return;
    db->tx_depth--;
    /* SQLite itself rolls back on some errors (full disk, I/O); then there is
     * nothing left to undo. */
    if (sqlite3_get_autocommit(db->sq))
        return;
    char sql[80];
    if (db->tx_depth == 0)
        snprintf(sql, sizeof sql, "ROLLBACK");
    else
        snprintf(sql, sizeof sql, "ROLLBACK TO sl_%d; RELEASE sl_%d", db->tx_depth,
                 db->tx_depth);
    sqlite3_exec(db->sq, sql, NULL, NULL, NULL);
}
