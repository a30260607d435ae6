/* Full-text search on FTS5 or FTS4: the one place where their SQL differs.
 *
 * Debian's SQLite has FTS5; its SQLCipher (3.4.1, SQLite 3.15) has only
 * FTS3/FTS4. A search table gets the best module the library has when it is
 * created, and every later statement asks which module the table uses, so a
 * database made by either build (or converted by `sightline decrypt`) works
 * in the plain build.
 *
 * Both are set up to index alike: FTS5's 'porter unicode61' and FTS4's
 * 'porter' (porter stemming over the simple tokenizer) split ASCII text into
 * the same tokens and stems; they differ on non-ASCII text (unicode61 folds
 * case and diacritics there, the simple tokenizer does not).
 *
 * Ranking: FTS5's bm25() is, for the phrases p of the query,
 *   -sum_p idf(p) * f(p) * (k1 + 1) / (f(p) + k1 * (1 - b + b * D / avgdl))
 * with k1 = 1.2, b = 0.75, f(p) the phrase's hits in the row, D the row's
 * token count, avgdl the mean token count of all rows, and
 * idf(p) = ln((N - n(p) + 0.5) / (n(p) + 0.5)) (1e-6 when not positive), N the
 * number of rows and n(p) the rows containing p. sl_bm25() computes the same
 * from matchinfo(t, 'pcnlx'); matchinfo's own average ('a') is rounded to an
 * integer, so avgdl comes from the table's %_stat record instead. */
#include "storage/db_internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { BM25_MATCHINFO_FIXED = 3 }; /* p, c, n */
static const double bm25_k1 = 1.2, bm25_b = 0.75;

db_fts_kind db_fts_for_new_tables(void)
{
    return sqlite3_compileoption_used("ENABLE_FTS5") ? DB_FTS5 : DB_FTS4;
}

static db_fts_kind kind_of_sql(const char *sql)
{
    /* "CREATE VIRTUAL TABLE name USING fts5(...)": the module follows USING. */
    const char *p = sql;
    for (; *p; p++)
        if ((p[0] == 'U' || p[0] == 'u') && sqlite3_strnicmp(p, "using", 5) == 0)
            break;
    if (!*p)
        return DB_FTS_NONE;
    p += 5;
    while (*p == ' ' || *p == '\n' || *p == '\t' || *p == '\r')
        p++;
    if (sqlite3_strnicmp(p, "fts5", 4) == 0)
        return DB_FTS5;
    if (sqlite3_strnicmp(p, "fts4", 4) == 0 || sqlite3_strnicmp(p, "fts3", 4) == 0)
        return DB_FTS4;
    return DB_FTS_NONE;
}

sl_status db_fts_kind_of(sl_db *db, const char *schema, const char *table, db_fts_kind *kind,
                         sl_error *err)
{
    *kind = DB_FTS_NONE;
    char *sql = sqlite3_mprintf("SELECT sql FROM \"%w\".sqlite_master WHERE type = 'table' "
                                "AND name = %Q",
                                schema, table);
    if (!sql)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", db->path);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, sql, &st, "reading the schema", err);
    sqlite3_free(sql);
    if (s != SL_OK)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const char *text = (const char *)sqlite3_column_text(st, 0);
        *kind = text ? kind_of_sql(text) : DB_FTS_NONE;
    } else if (rc != SQLITE_DONE) {
        s = db_fail(db, rc, "reading the schema", err);
    }
    sqlite3_finalize(st);
    return s;
}

sl_status db_fts_create(sl_db *db, const char *fts, const char *content, sl_error *err)
{
    char *sql;
    if (db_fts_for_new_tables() == DB_FTS5)
        sql = sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\" USING fts5(text, content=%Q, "
                              "content_rowid='id', tokenize='porter unicode61')",
                              fts, content);
    else
        /* FTS4's external content is keyed by the content table's rowid,
         * which `id` (INTEGER PRIMARY KEY) is. */
        sql = sqlite3_mprintf("CREATE VIRTUAL TABLE \"%w\" USING fts4(text, content=%Q, "
                              "tokenize=porter)",
                              fts, content);
    if (!sql)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", db->path);
    sl_status s = db_exec(db, sql, "creating a search index", err);
    sqlite3_free(sql);
    return s;
}

sl_status db_fts_check_modules(sl_db *db, sl_error *err)
{
    if (db_fts_for_new_tables() == DB_FTS5)
        return SL_OK;
    long long n = 0;
    sl_status s = db_query_int64(db,
                                 "SELECT count(*) FROM sqlite_master WHERE type = 'table' "
                                 "AND sql LIKE 'CREATE VIRTUAL TABLE%USING fts5%'",
                                 &n, "reading the schema", err);
    if (s == SL_OK && n > 0)
        s = sl_fail(err, SL_ERR_DB,
                    "%s: its search index uses FTS5, which this SQLCipher build lacks; "
                    "encrypt it with 'sightline encrypt' (which rebuilds the index) or use "
                    "a sightline built without encryption",
                    db->path);
    return s;
}

sl_status db_fts_unindex(sl_db *db, const char *fts, const char *content, const char *column,
                         int64_t value, const char *doing, sl_error *err)
{
    db_fts_kind kind;
    sl_status s = db_fts_kind_of(db, "main", fts, &kind, err);
    if (s != SL_OK)
        return s;
    char *sql;
    if (kind == DB_FTS5)
        /* FTS5's 'delete' command takes the text that was indexed. */
        sql = sqlite3_mprintf("INSERT INTO \"%w\" (\"%w\", rowid, text) "
                              "SELECT 'delete', id, text FROM \"%w\" WHERE \"%w\" = ?1",
                              fts, fts, content, column);
    else
        /* FTS4 reads the text from the content table itself. */
        sql = sqlite3_mprintf("DELETE FROM \"%w\" WHERE rowid IN "
                              "(SELECT id FROM \"%w\" WHERE \"%w\" = ?1)",
                              fts, content, column);
    if (!sql)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", db->path);
    sqlite3_stmt *st = NULL;
    s = db_prepare(db, sql, &st, doing, err);
    sqlite3_free(sql);
    if (s != SL_OK)
        return s;
    sqlite3_bind_int64(st, 1, value);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    return rc == SQLITE_DONE ? SL_OK : db_fail(db, rc, doing, err);
}

sl_status db_fts_clear(sl_db *db, const char *schema, const char *fts, const char *doing,
                       sl_error *err)
{
    db_fts_kind kind;
    sl_status s = db_fts_kind_of(db, schema, fts, &kind, err);
    if (s != SL_OK || kind == DB_FTS_NONE)
        return s;
    /* FTS4 has no 'delete-all'; 'rebuild' over the empty content table
     * drops every token. */
    char *sql = sqlite3_mprintf("INSERT INTO \"%w\".\"%w\" (\"%w\") VALUES (%Q)", schema, fts,
                                fts, kind == DB_FTS5 ? "delete-all" : "rebuild");
    if (!sql)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", db->path);
    s = db_exec(db, sql, doing, err);
    sqlite3_free(sql);
    return s;
}

/* FTS3/4 varints: 7 bits a byte, least significant first. */
static int get_varint(const unsigned char *p, int n, int *at, unsigned long long *v)
{
    *v = 0;
    for (int shift = 0; *at < n && shift < 64; shift += 7) {
        unsigned char c = p[(*at)++];
        *v |= (unsigned long long)(c & 0x7f) << shift;
        if (!(c & 0x80))
            return 1;
    }
    return 0;
}

/* The mean token count of fts's rows, from its %_stat record: the number of
 * rows, then the tokens of each column. */
static sl_status fts4_avgdl(sl_db *db, const char *fts, double *avgdl, sl_error *err)
{
    *avgdl = 1.0;
    char *sql = sqlite3_mprintf("SELECT value FROM \"%w_stat\" WHERE id = 0", fts);
    if (!sql)
        return sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", db->path);
    sqlite3_stmt *st = NULL;
    sl_status s = db_prepare(db, sql, &st, "searching", err);
    sqlite3_free(sql);
    if (s != SL_OK)
        return s;
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
        const unsigned char *p = sqlite3_column_blob(st, 0);
        int n = sqlite3_column_bytes(st, 0), at = 0;
        unsigned long long rows = 0, tokens = 0;
        if (p && get_varint(p, n, &at, &rows) && get_varint(p, n, &at, &tokens) && rows > 0)
            *avgdl = (double)tokens / (double)rows;
    } else if (rc != SQLITE_DONE) {
        s = db_fail(db, rc, "searching", err);
    }
    sqlite3_finalize(st);
    return s;
}

sl_status db_fts_rank(sl_db *db, const char *fts, char **expr, sl_error *err)
{
    *expr = NULL;
    db_fts_kind kind;
    sl_status s = db_fts_kind_of(db, "main", fts, &kind, err);
    if (s != SL_OK)
        return s;
    if (kind == DB_FTS5) {
        *expr = sqlite3_mprintf("bm25(\"%w\")", fts);
    } else {
        double avgdl = 1.0;
        if ((s = fts4_avgdl(db, fts, &avgdl, err)) != SL_OK)
            return s;
        *expr = sqlite3_mprintf("sl_bm25(matchinfo(\"%w\", 'pcnlx'), %.17g)", fts, avgdl);
    }
    return *expr ? SL_OK : sl_fail(err, SL_ERR_NOMEM, "%s: out of memory", db->path);
}

/* sl_bm25(matchinfo(t, 'pcnlx'), avgdl): FTS5's bm25() for an FTS4 row. */
static void bm25_function(sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
    (void)argc;
    const unsigned char *blob = sqlite3_value_blob(argv[0]);
    int bytes = sqlite3_value_bytes(argv[0]);
    double avgdl = sqlite3_value_double(argv[1]);
    if (!blob || bytes < BM25_MATCHINFO_FIXED * 4 || bytes % 4 != 0 || !(avgdl > 0)) {
        sqlite3_result_error(ctx, "sl_bm25: not a matchinfo 'pcnlx' value", -1);
        return;
    }
    size_t words = (size_t)bytes / 4;
    uint32_t head[BM25_MATCHINFO_FIXED];
    memcpy(head, blob, sizeof head); /* matchinfo is in the machine's byte order */
    size_t phrases = head[0], cols = head[1];
    double rows = head[2];
    /* p, c, n, then c lengths, then 3 per phrase and column. */
    if (cols == 0 || cols > 1000 || phrases > 1000 ||
        words != BM25_MATCHINFO_FIXED + cols + 3 * phrases * cols) {
        sqlite3_result_error(ctx, "sl_bm25: not a matchinfo 'pcnlx' value", -1);
        return;
    }
    uint32_t v;
    double tokens = 0;
    for (size_t c = 0; c < cols; c++) {
        memcpy(&v, blob + 4 * (BM25_MATCHINFO_FIXED + c), 4);
        tokens += v;
    }
    const unsigned char *x = blob + 4 * (BM25_MATCHINFO_FIXED + cols);
    double score = 0;
    for (size_t p = 0; p < phrases; p++) {
        double hits = 0, rows_with = 0;
        for (size_t c = 0; c < cols; c++) {
            const unsigned char *e = x + 12 * (p * cols + c);
            memcpy(&v, e, 4);
            hits += v;
            memcpy(&v, e + 8, 4);
            if (v > rows_with) /* exact for one column, a lower bound for more */
                rows_with = v;
        }
        double idf = log((rows - rows_with + 0.5) / (rows_with + 0.5));
        if (idf <= 0.0)
            idf = 1e-6;
        score += idf * (hits * (bm25_k1 + 1.0)) /
                 (hits + bm25_k1 * (1.0 - bm25_b + bm25_b * tokens / avgdl));
    }
    sqlite3_result_double(ctx, -score);
}

int db_fts_register(sqlite3 *sq)
{
    return sqlite3_create_function_v2(sq, "sl_bm25", 2, SQLITE_UTF8 | SQLITE_DETERMINISTIC, NULL,
                                      bm25_function, NULL, NULL, NULL);
}
