/* encrypt, decrypt: encryption at rest of the user's database (a sightline
 * built with -Dencryption=true, on SQLCipher). Both rewrite the database
 * into a new file that replaces it (storage/transfer.h db_rekey_file). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app/app_db.h"
#include "app/commands.h"

static int no_args(const command *cmd, int argc)
{
    return argc == 1 ? EXIT_OK : cli_usage_error(cmd, "takes no arguments");
}

/* The current passphrase of path when it is encrypted (NULL otherwise). */
static int current_key(const char *path, int *encrypted, char **key, size_t *len)
{
    sl_error err = {0};
    *key = NULL;
    *len = 0;
    if (db_file_is_encrypted(path, encrypted, &err) != SL_OK)
        return cli_fail(&err);
    if (!*encrypted)
        return EXIT_OK;
    char prompt[4200];
    snprintf(prompt, sizeof prompt, "Current passphrase for %s: ", path);
    int rc = app_passphrase("SIGHTLINE_PASSPHRASE", prompt, 0, path, key, len);
    /* Checked before a new passphrase is asked for. */
    sl_db *db = NULL;
    db_options o = {.key = *key, .key_len = *len};
    if (rc == EXIT_OK && db_open_with(path, &o, &db, &err) != SL_OK)
        rc = cli_fail(&err);
    db_close(db);
    return rc;
}

static int built_without(const char *path)
{
    fprintf(stderr,
            "sightline: %s: this sightline was built without encryption "
            "(meson setup -Dencryption=true links SQLCipher)\n",
            path);
    return EXIT_DATABASE;
}

static int run_encrypt(app_context *app, int argc, char **argv)
{
    (void)argv;
    char *path = NULL;
    int rc = no_args(&cmd_encrypt, argc);
    if (rc != EXIT_OK || (rc = app_db_path(app, &path)) != EXIT_OK)
        return rc;
    if (!db_encryption_available()) {
        rc = built_without(path);
        free(path);
        return rc;
    }
    int encrypted = 0;
    char *key = NULL, *new_key = NULL;
    size_t len = 0, new_len = 0;
    rc = current_key(path, &encrypted, &key, &len);
    if (rc == EXIT_OK) {
        char prompt[4200];
        snprintf(prompt, sizeof prompt, "New passphrase for %s: ", path);
        /* A plain database takes SIGHTLINE_PASSPHRASE as its new one. */
        const char *env = getenv("SIGHTLINE_NEW_PASSPHRASE");
        rc = app_passphrase(encrypted || (env && env[0]) ? "SIGHTLINE_NEW_PASSPHRASE"
                                                         : "SIGHTLINE_PASSPHRASE",
                            prompt, 1, path, &new_key, &new_len);
    }
    sl_error err = {0};
    if (rc == EXIT_OK) {
        if (db_rekey_file(path, key, len, new_key, new_len, &err) != SL_OK)
            rc = cli_fail(&err);
        else
            cli_note(app, encrypted ? "%s: passphrase changed"
                                    : "%s: encrypted (keep the passphrase: without it the "
                                      "data cannot be read)",
                     path);
    }
    app_passphrase_free(key, len);
    app_passphrase_free(new_key, new_len);
    free(path);
    return rc;
}

const command cmd_encrypt = {
    .name = "encrypt",
    .summary = "encrypt your data with a passphrase, or change the passphrase",
    .help = "usage: sightline encrypt\n"
            "\n"
            "Encrypts the database with a passphrase (SQLCipher; needs a sightline built\n"
            "with 'meson setup -Dencryption=true'). The new passphrase is read from\n"
            "SIGHTLINE_NEW_PASSPHRASE, or for a plain database SIGHTLINE_PASSPHRASE, or\n"
            "asked twice on the terminal. When the database is already encrypted, this\n"
            "changes its passphrase: the current one comes from SIGHTLINE_PASSPHRASE or\n"
            "the terminal. The data is written to a new file that then replaces the\n"
            "database, and the old file is overwritten with zeros; nothing else should\n"
            "use the database meanwhile. Afterwards every command asks for the\n"
            "passphrase, or reads it from SIGHTLINE_PASSPHRASE.\n",
    .run = run_encrypt,
};

static int run_decrypt(app_context *app, int argc, char **argv)
{
    (void)argv;
    char *path = NULL;
    int rc = no_args(&cmd_decrypt, argc);
    if (rc != EXIT_OK || (rc = app_db_path(app, &path)) != EXIT_OK)
        return rc;
    if (!db_encryption_available()) {
        rc = built_without(path);
        free(path);
        return rc;
    }
    int encrypted = 0;
    char *key = NULL;
    size_t len = 0;
    rc = current_key(path, &encrypted, &key, &len);
    if (rc == EXIT_OK && !encrypted) {
        fprintf(stderr, "sightline: %s: the database is not encrypted\n", path);
        rc = EXIT_USAGE;
    }
    sl_error err = {0};
    if (rc == EXIT_OK) {
        if (db_rekey_file(path, key, len, NULL, 0, &err) != SL_OK)
            rc = cli_fail(&err);
        else
            cli_note(app, "%s: decrypted (anyone who can read the file can read your data)",
                     path);
    }
    app_passphrase_free(key, len);
    free(path);
    return rc;
}

const command cmd_decrypt = {
    .name = "decrypt",
    .summary = "remove the passphrase: store your data unencrypted again",
    .help = "usage: sightline decrypt\n"
            "\n"
            "Rewrites an encrypted database as a plain one (its passphrase from\n"
            "SIGHTLINE_PASSPHRASE or the terminal). The result also opens in a sightline\n"
            "built without encryption.\n",
    .run = run_decrypt,
};
