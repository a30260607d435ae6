#include "app/app_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

enum { PASSPHRASE_MAX = 1024 };

int app_db_path(const app_context *app, char **path)
{
    sl_error err = {0};
    *path = NULL;
    if (app->db_path) {
        if (!(*path = strdup(app->db_path))) {
            fprintf(stderr, "sightline: out of memory\n");
            return EXIT_FAILURE_OTHER;
        }
        return EXIT_OK;
    }
    return db_default_path(path, &err) == SL_OK ? EXIT_OK : cli_fail(&err);
}

void app_passphrase_free(char *key, size_t len)
{
    if (!key)
        return;
    explicit_bzero(key, len);
    free(key);
}

/* One line from the terminal on stdin with echo off; NULL when it cannot. */
static char *read_hidden(const char *prompt, size_t *len)
{
    struct termios saved, quiet;
    if (tcgetattr(STDIN_FILENO, &saved) != 0)
        return NULL;
    quiet = saved;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    /* Echo goes off before the prompt shows, so nothing typed after it is
     * echoed or discarded by the flush. */
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) != 0)
        return NULL;
    fputs(prompt, stderr);
    fflush(stderr);
    char *line = calloc(1, PASSPHRASE_MAX + 2);
    int ok = line && fgets(line, PASSPHRASE_MAX + 2, stdin) != NULL;
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
    if (!ok) {
        app_passphrase_free(line, PASSPHRASE_MAX + 2);
        return NULL;
    }
    size_t n = strlen(line);
    while (n && (line[n - 1] == '\n' || line[n - 1] == '\r'))
        line[--n] = '\0';
    *len = n;
    return line;
}

int app_passphrase(const char *env, const char *prompt, int confirm, const char *path,
                   char **key, size_t *len)
{
    *key = NULL;
    *len = 0;
    const char *value = env ? getenv(env) : NULL;
    if (value && value[0]) {
        *len = strlen(value);
        if (!(*key = malloc(*len))) {
            fprintf(stderr, "sightline: out of memory\n");
            return EXIT_FAILURE_OTHER;
        }
        memcpy(*key, value, *len);
        return EXIT_OK;
    }
    if (!isatty(STDIN_FILENO)) {
        fprintf(stderr,
                "sightline: %s: a passphrase is needed: set %s or run from a terminal\n", path,
                env ? env : "SIGHTLINE_PASSPHRASE");
        return EXIT_DATABASE;
    }
    char *line = read_hidden(prompt, len);
    if (!line) {
        fprintf(stderr, "sightline: %s: no passphrase was read from the terminal\n", path);
        return EXIT_DATABASE;
    }
    if (*len == 0) {
        app_passphrase_free(line, PASSPHRASE_MAX + 2);
        fprintf(stderr, "sightline: %s: the passphrase is empty\n", path);
        return EXIT_USAGE;
    }
    if (confirm) {
        size_t again_len = 0;
        char *again = read_hidden("Again: ", &again_len);
        int same = again && again_len == *len && memcmp(again, line, *len) == 0;
        app_passphrase_free(again, PASSPHRASE_MAX + 2);
        if (!same) {
            app_passphrase_free(line, PASSPHRASE_MAX + 2);
            *len = 0;
            fprintf(stderr, "sightline: %s: the two passphrases differ\n", path);
            return EXIT_USAGE;
        }
    }
    *key = line;
    return EXIT_OK;
}

int app_db_open(const app_context *app, sl_db **out)
{
    sl_error err = {0};
    *out = NULL;
    char *path = NULL;
    int rc = app_db_path(app, &path);
    if (rc != EXIT_OK)
        return rc;
    /* An encrypted file needs its passphrase; a new one is encrypted when a
     * passphrase is set. A plain build opens an encrypted file without one
     * and says in one line that it cannot. */
    int encrypted = 0, fresh = 0;
    if (db_file_is_encrypted(path, &encrypted, &err) != SL_OK) {
        free(path);
        return cli_fail(&err);
    }
    if (!encrypted) {
        FILE *f = fopen(path, "rb");
        fresh = !f || fgetc(f) == EOF;
        if (f)
            fclose(f);
    }
    const char *env = getenv("SIGHTLINE_PASSPHRASE");
    char *key = NULL;
    size_t key_len = 0;
    if (db_encryption_available() && (encrypted || (fresh && env && env[0]))) {
        char prompt[4200];
        snprintf(prompt, sizeof prompt, "Passphrase for %s: ", path);
        rc = app_passphrase("SIGHTLINE_PASSPHRASE", prompt, 0, path, &key, &key_len);
    } else if (!db_encryption_available() && fresh && env && env[0]) {
        fprintf(stderr,
                "sightline: %s: SIGHTLINE_PASSPHRASE is set but this sightline was built "
                "without encryption (meson setup -Dencryption=true)\n",
                path);
        rc = EXIT_DATABASE;
    }
    if (rc == EXIT_OK) {
        db_options o = {.key = key, .key_len = key_len};
        rc = db_open_with(path, &o, out, &err) == SL_OK ? EXIT_OK : cli_fail(&err);
    }
    app_passphrase_free(key, key_len);
    free(path);
    return rc;
}

int app_db_remember(const app_context *app, const char *mode, const char *source,
                    const char *text, int64_t started_ms)
{
    sl_db *db = NULL;
    int rc = app_db_open(app, &db);
    if (rc != EXIT_OK)
        return rc;
    int64_t now = db_now_ms();
    history_entry e = {
        .time_ms = now,
        .mode = mode,
        .source = source,
        .text = text,
        .duration_ms = now > started_ms ? now - started_ms : 0,
    };
    sl_error err = {0};
    if (history_add(db, &e, NULL, &err) != SL_OK)
        rc = cli_fail(&err);
    db_close(db);
    return rc;
}
